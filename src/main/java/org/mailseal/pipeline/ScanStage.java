package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.mailseal.config.Scan;
import org.mailseal.config.ScanActions.FailureAction;
import org.mailseal.config.ScanActions.VirusAction;
import org.mailseal.config.ScanActions;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.mime.RawHeader;
import org.mailseal.scan.Quarantine;
import org.mailseal.scan.Scanner;
import org.mailseal.scan.Verdict;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans the message while it is readable (inbound before encryption, outbound after decryption) with
 * every configured scanner in parallel, within the time budget, and acts per domain (the recipient's
 * domain inbound, the sender's outbound): a virus is rejected or quarantined; spam is tagged,
 * quarantined or rejected, and rspamd's own reject / soft reject are honoured; a scanner that failed
 * (down, too slow, size limit) is never "clean": the message is deferred, or delivered marked
 * {@code X-Mailseal-Scan: skipped}. Tags go inside the encryption; outside only {@code X-Spam-Flag}
 * and the subject tag remain (see HeaderProtection).
 */
public final class ScanStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("scan");
    /** Marks a message released from quarantine by the admin (see {@link Quarantine#markReleasing}). */
    public static final String RELEASED = Quarantine.RELEASED_FIELD;

    private final Scan config;
    private final List<Scanner> scanners;
    private final Quarantine quarantine;
    private final Spool spool;
    private final GatewayMetrics metrics;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scan");
        t.setDaemon(true);
        return t;
    });

    /** {@code quarantine} null: none possible (no master key); a quarantine verdict then defers. */
    public ScanStage(Scan config, List<Scanner> scanners, Quarantine quarantine, Spool spool, GatewayMetrics metrics) {
        this.config = config;
        this.scanners = List.copyOf(scanners);
        this.quarantine = quarantine;
        this.spool = spool;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "scan";
    }

    /** What happens to one group of recipients. */
    private sealed interface Decision permits Reject, Defer, Hold, Tag, Pass {
    }

    private record Reject(SmtpReply reply) implements Decision {
    }

    private record Defer(SmtpReply reply) implements Decision {
    }

    private record Hold(String reason) implements Decision {
    }

    /** Add these header fields (and the subject tag), then go on. */
    private record Tag(List<String> fields, String subjectTag) implements Decision {
    }

    private record Pass() implements Decision {
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        if (scanners.isEmpty()) {
            return Routing.proceed(item);
        }
        RawHeader h = item.header();
        String released = item.releaseClaim();
        if (released != null && quarantine != null && quarantine.isReleasing(released.trim())) {
            log.info("{}: released from quarantine ({}); not scanned again", item.queueId(), released.trim());
            return Routing.proceed(item);
        }
        List<Verdict> verdicts = scanAll(item);
        log.info("{}: scan: {}", item.queueId(), verdicts.stream().map(Verdict::summary).collect(Collectors.joining(", ")));
        // Group the recipients by the domain whose actions apply.
        Map<String, List<Recipient>> byDomain = new LinkedHashMap<>();
        String sender = item.senderIdentity();
        for (Recipient r : item.recipients()) {
            String d = r.direction() == Direction.OUTBOUND && sender != null ? sender.substring(sender.lastIndexOf('@') + 1) : r.address().domainLower();
            byDomain.computeIfAbsent(d, k -> new ArrayList<>()).add(r);
        }
        Routing routing = new Routing();
        for (Map.Entry<String, List<Recipient>> g : byDomain.entrySet()) {
            MailItem group = item.withRecipients(g.getValue());
            Decision d = decide(config.actionsFor(g.getKey()), verdicts);
            if (d instanceof Reject r) {
                log.info("{}: {}: rejected: {}", item.queueId(), g.getValue(), r.reply());
                routing.reject(group, r.reply());
            } else if (d instanceof Defer f) {
                log.info("{}: {}: deferred: {}", item.queueId(), g.getValue(), f.reply());
                routing.defer(group, f.reply());
            } else if (d instanceof Hold q) {
                routing.add(group, hold(group, q.reason()));
            } else if (d instanceof Tag t) {
                routing.proceedWith(group.withContent(tagged(group, h, t)).withSubjectTag(t.subjectTag()));
            } else {
                routing.proceedWith(group);
            }
        }
        return routing;
    }

    private List<Verdict> scanAll(MailItem item) throws InterruptedException {
        Scanner.Request req = new Scanner.Request(item.queueId(), item.from().sender().isNull() ? "" : item.from().sender().toString(),
                item.recipients().stream().map(r -> r.address().toString()).toList(),
                item.session().originalClientAddress(), item.session().originalHelo()); // behind Postfix: the XFORWARD client
        Map<Scanner, Future<Verdict>> running = new LinkedHashMap<>();
        for (Scanner s : scanners) {
            running.put(s, pool.submit(() -> s.scan(req, item.content())));
        }
        long deadline = System.nanoTime() + config.budget().toNanos();
        List<Verdict> out = new ArrayList<>();
        for (Map.Entry<Scanner, Future<Verdict>> e : running.entrySet()) {
            Verdict v;
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                v = e.getValue().get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException t) {
                e.getValue().cancel(true);
                v = Verdict.failed(e.getKey().name(), "no verdict within the scan budget of " + config.budget(), config.budget());
            } catch (java.util.concurrent.ExecutionException x) {
                Throwable c = x.getCause();
                v = Verdict.failed(e.getKey().name(), e.getKey().name() + ": " + (c.getMessage() != null ? c.getMessage() : c.toString()), Duration.ZERO);
            }
            metrics.scanned(v.scanner(), v.kind().name().toLowerCase(java.util.Locale.ROOT), v.took());
            out.add(v);
        }
        return out;
    }

    static Decision decide(ScanActions a, List<Verdict> verdicts) {
        for (Verdict v : verdicts) {
            if (v.kind() == Verdict.Kind.VIRUS) {
                return a.virus() == VirusAction.QUARANTINE ? new Hold("virus " + v.detail() + " (" + v.scanner() + ")")
                        : new Reject(SmtpReply.of(554, "5.7.1", "Error: message rejected: virus found (" + v.detail() + ")"));
            }
        }
        List<String> fields = new ArrayList<>();
        List<Verdict> failed = verdicts.stream().filter(v -> v.kind() == Verdict.Kind.FAILED).toList();
        if (!failed.isEmpty()) {
            String why = failed.stream().map(v -> v.scanner() + ": " + v.detail()).collect(Collectors.joining("; "));
            if (a.onFailure() == FailureAction.TEMPFAIL) {
                return new Defer(SmtpReply.of(451, "4.7.0", "Error: message could not be scanned; try again later"));
            }
            fields.add("X-Mailseal-Scan: skipped (" + why.replaceAll("[\\r\\n]", " ") + ")");
        }
        for (Verdict v : verdicts) {
            if ("soft reject".equals(v.action())) {
                return new Defer(SmtpReply.of(451, "4.7.1", "Error: try again later (" + v.scanner() + ")"));
            }
            if ("reject".equals(v.action())) {
                return new Reject(SmtpReply.of(550, "5.7.1", "Error: message rejected as spam"));
            }
        }
        List<Verdict> spam = verdicts.stream().filter(v -> v.kind() == Verdict.Kind.SPAM).toList();
        if (spam.isEmpty()) {
            return fields.isEmpty() ? new Pass() : new Tag(fields, null);
        }
        double score = spam.stream().mapToDouble(v -> v.score() != null ? v.score() : 0).max().orElse(0);
        if (a.rejectScore() != null && score >= a.rejectScore()) {
            return new Reject(SmtpReply.of(550, "5.7.1", "Error: message rejected as spam"));
        }
        switch (a.spam()) {
            case REJECT:
                return new Reject(SmtpReply.of(550, "5.7.1", "Error: message rejected as spam"));
            case QUARANTINE:
                return new Hold("spam, score " + score + " (" + spam.stream().map(Verdict::scanner).collect(Collectors.joining(", ")) + ")");
            default:
                Verdict top = spam.get(0);
                fields.add("X-Spam-Flag: YES");
                fields.add("X-Spam-Score: " + score);
                fields.add("X-Spam-Status: Yes, score=" + score + " required=" + top.required() + " scanner="
                        + spam.stream().map(Verdict::scanner).collect(Collectors.joining(",")));
                fields.add("X-Spam-Symbols: " + String.join(",", spam.stream().flatMap(v -> v.symbols().stream()).distinct().toList()));
                boolean rewrite = spam.stream().anyMatch(v -> "rewrite subject".equals(v.action()));
                String tag = a.subjectTag() != null ? a.subjectTag() : rewrite ? "[SPAM]" : null;
                return new Tag(fields, tag);
        }
    }

    private Outcome hold(MailItem group, String reason) throws Exception {
        return Holds.hold(quarantine, group, reason, log);
    }

    // The fields go on top of the header (after the trace fields), the subject tag in front of the Subject.
    private Path tagged(MailItem group, RawHeader h, Tag t) throws Exception {
        Path out = spool.workFile(group.queueId(), ".tag");
        try (InputStream in = group.openBody()) {
            org.mailseal.mime.HeaderRewriter.rewrite(out, h, in, fields -> {
                List<RawHeader.Field> edited = new ArrayList<>();
                boolean written = false;
                for (RawHeader.Field f : fields) {
                    boolean trace = f.is("Received") || f.is("Return-Path");
                    if (!trace && !written) {
                        t.fields().forEach(x -> edited.add(asField(x)));
                        written = true;
                    }
                    edited.add(f.is("Subject") && t.subjectTag() != null
                            ? org.mailseal.mime.HeaderRewriter.field("Subject", t.subjectTag() + " " + f.value()) : f);
                }
                if (!written) {
                    t.fields().forEach(x -> edited.add(asField(x)));
                }
                return edited;
            });
        }
        return out;
    }

    // "Name: value" as a field.
    private static RawHeader.Field asField(String line) {
        int colon = line.indexOf(':');
        return org.mailseal.mime.HeaderRewriter.field(line.substring(0, colon), line.substring(colon + 1).trim());
    }
}
