package org.mailseal.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.SessionInfo;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.policy.RelayAccess;
import org.mailseal.smtp.MailHandler;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.smtp.Transaction;
import org.mailseal.spool.QueueIds;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects the SMTP/LMTP listeners to the mail flow, in proxy mode: the message is spooled and
 * run through the {@link Pipeline}, and the client hears 250 only for recipients the next hop
 * accepted. Logs one {@code from=} line and one {@code to=} line per recipient, Postfix style.
 *
 * <p>Where a duplicate can happen: in SMTP mode with recipient groups that go to different
 * transactions, if one group is accepted and another deferred, the client gets 4xx and resends to all,
 * so the accepted group receives the message twice. The same holds if the gateway dies after the next
 * hop accepted but before the client read our 250. Mail is never lost that way.
 */
public final class GatewayHandler implements MailHandler {

    private static final Logger log = LoggerFactory.getLogger("mailflow");

    private final String hostname;
    private final Spool spool;
    private final Pipeline pipeline;
    private final RelayAccess access;
    private final GatewayMetrics metrics;
    private final Authenticator authenticator;
    private final Ownership ownership;
    private final PasswordNotices notices;
    private final java.util.function.Consumer<String> deferred;

    /** Whether an authenticated user owns an address (its login or a registered address). */
    public interface Ownership {
        boolean owns(String user, String address) throws java.sql.SQLException;
    }

    /** Checks SASL credentials (the user store). */
    public interface Authenticator {
        AuthResult check(String user, String password);
    }

    public GatewayHandler(String hostname, Spool spool, Pipeline pipeline, RelayAccess access, GatewayMetrics metrics,
                          Authenticator authenticator, Ownership ownership, java.util.function.Consumer<String> deferred,
                          PasswordNotices notices) {
        this.notices = notices;
        this.deferred = deferred;
        this.hostname = hostname;
        this.spool = spool;
        this.pipeline = pipeline;
        this.access = access;
        this.metrics = metrics;
        this.authenticator = authenticator;
        this.ownership = ownership;
    }

    @Override
    public String newQueueId() {
        return QueueIds.next();
    }

    @Override
    public SmtpReply checkRecipient(SessionInfo session, MailFrom from, RcptTo rcpt) {
        SmtpReply routing = access.checkLocalPart(rcpt.recipient());
        if (routing != null) {
            metrics.rejected();
            return routing;
        }
        if (access.classify(session, rcpt.recipient()) == null) {
            metrics.rejected();
            return SmtpReply.of(554, "5.7.1", "<" + rcpt.recipient() + ">: Relay access denied");
        }
        return null;
    }

    /**
     * An authenticated user may send only from its own addresses (Postfix's reject_sender_login_mismatch);
     * the null reverse path stays allowed. A store error defers.
     */
    @Override
    public SmtpReply checkSender(SessionInfo session, MailFrom from) {
        if (session.authUser() == null || from.sender().isNull()) {
            return null;
        }
        try {
            if (ownership.owns(session.authUser(), from.sender().toString())) {
                return null;
            }
        } catch (java.sql.SQLException e) {
            log.error("sender check failed: {}", e.getMessage());
            return SmtpReply.of(451, "4.3.0", "Error: cannot check the sender now; try again later");
        }
        metrics.rejected();
        return SmtpReply.of(553, "5.7.1", "<" + from.sender() + ">: Sender address rejected: not owned by user " + session.authUser());
    }

    @Override
    public SpoolSink openSpool(Transaction tx) throws IOException {
        Spool.SpoolFile f = spool.create(tx.queueId(), TraceHeader.received(hostname, tx));
        return new SpoolSink() {
            @Override
            public OutputStream out() {
                return f.out();
            }

            @Override
            public void commit() throws IOException {
                f.commit();
            }

            @Override
            public void discard() {
                f.discard();
            }

            @Override
            public Path path() {
                return f.path();
            }
        };
    }

    @Override
    public AuthResult authenticate(String user, String password) {
        return authenticator.check(user, password);
    }

    @Override
    public List<SmtpReply> deliver(Transaction tx, SpoolSink sink, boolean perRecipient) {
        metrics.received();
        metrics.beginTransaction();
        Path content = sink.path();
        try {
            long size = Files.size(content);
            log.info("{}: from=<{}>, size={}, nrcpt={} (proxy)", tx.queueId(), tx.mailFrom().sender(), size, tx.recipients().size());
            List<Recipient> recipients = new ArrayList<>();
            for (int i = 0; i < tx.recipients().size(); i++) {
                RcptTo r = tx.recipients().get(i);
                Direction d = access.classify(tx.session(), r.recipient());
                // Checked at RCPT already, so never null here; were it, inbound is the safe side (policy applies).
                recipients.add(new Recipient(r, d != null ? d : Direction.INBOUND, i));
            }
            MailItem item = new MailItem(tx.queueId(), tx.session(), tx.mailFrom(), recipients, content, tx.started());
            List<RecipientResult> results = pipeline.run(item);
            logResults(item, results);
            List<PasswordNotices.Notice> generated = notices.take(tx.queueId());
            try {
                if (!generated.isEmpty() && !notifyPasswords(item, results, generated)) {
                    log.warn("{}: the sender could not be sent the PDF password; answering 451: the client resends, and the PDF's "
                            + "recipient gets a second one, with a new password", tx.queueId());
                    deferred.accept(tx.queueId());
                    SmtpReply later = SmtpReply.of(451, "4.3.0", "Error: cannot send you the PDF password now; try again later");
                    return perRecipient ? tx.recipients().stream().map(r -> later).toList() : List.of(later);
                }
            } finally {
                generated.forEach(PasswordNotices.Notice::wipe);
            }
            if (results.stream().anyMatch(r -> r.outcome().kind() == Outcome.Kind.DEFER)) {
                deferred.accept(tx.queueId()); // the client retries: undo what this attempt claimed (replay cache)
            }
            metrics.latency(Duration.between(tx.started(), Instant.now()));
            return perRecipient ? lmtpReplies(tx, results) : smtpReply(item, results);
        } catch (IOException | RuntimeException e) {
            log.error("{}: internal error; answering 451", tx.queueId(), e);
            deferred.accept(tx.queueId());
            return perRecipient ? tx.recipients().stream().map(r -> SmtpReply.TEMP_ERROR).toList() : List.of(SmtpReply.TEMP_ERROR);
        } finally {
            notices.take(tx.queueId()).forEach(PasswordNotices.Notice::wipe); // after a failure: none is kept
            sink.discard();
            spool.cleanWork(tx.queueId());
            metrics.endTransaction();
        }
    }

    private void logResults(MailItem item, List<RecipientResult> results) {
        double delay = Duration.between(item.received(), Instant.now()).toMillis() / 1000.0;
        for (RecipientResult r : results) {
            Outcome o = r.outcome();
            String status = switch (o.kind()) {
                case DELIVERED -> "sent";
                case QUARANTINE -> "quarantined";
                case DEFER, CONTINUE -> "deferred";
                case REJECT -> "bounced";
            };
            switch (o.kind()) {
                case DELIVERED -> {
                    metrics.relayed();
                    if (r.item() != null && r.item().treatment() instanceof org.mailseal.mail.Treatment.Transformed) {
                        metrics.encrypted();
                    }
                }
                case QUARANTINE -> metrics.relayed();
                case REJECT -> metrics.rejected();
                default -> metrics.deferred();
            }
            log.info("{}: to=<{}>, relay={}, delay={}, dsn={}, status={} ({})", item.queueId(), r.recipient().address(),
                    o.relay() != null ? o.relay() : "none", String.format(Locale.ROOT, "%.2f", delay),
                    o.reply().enhanced() != null ? o.reply().enhanced() : "-", status, o.reply().oneLine());
        }
    }

    // RFC 2033 §4.2: one reply per recipient, in RCPT order.
    private static List<SmtpReply> lmtpReplies(Transaction tx, List<RecipientResult> results) {
        List<SmtpReply> out = new ArrayList<>();
        for (RecipientResult r : results) {
            Outcome o = r.outcome();
            out.add(switch (o.kind()) {
                case DELIVERED, QUARANTINE -> SmtpReply.of(250, "2.0.0", "<" + r.recipient().address() + "> Ok: " + tx.queueId());
                default -> SmtpReply.of(o.reply().code(), o.reply().enhanced(), "<" + r.recipient().address() + "> " + String.join(" ", o.reply().lines()));
            });
        }
        return out;
    }

    /** One SMTP reply for all recipients; see the class comment for where this can duplicate. */
    private List<SmtpReply> smtpReply(MailItem item, List<RecipientResult> results) {
        List<RecipientResult> deferred = results.stream().filter(r -> r.outcome().kind() == Outcome.Kind.DEFER).toList();
        List<RecipientResult> rejected = results.stream().filter(r -> r.outcome().kind() == Outcome.Kind.REJECT).toList();
        int accepted = results.size() - deferred.size() - rejected.size();
        if (!deferred.isEmpty()) {
            if (accepted > 0) {
                log.warn("{}: {} recipient(s) accepted, {} deferred: the client will resend, so accepted recipients get a duplicate",
                        item.queueId(), accepted, deferred.size());
            }
            return List.of(deferred.get(0).outcome().reply());
        }
        if (accepted == 0) {
            return List.of(rejected.get(0).outcome().reply());
        }
        if (!rejected.isEmpty() && !returnToSender(item, rejected)) {
            return List.of(SmtpReply.of(451, "4.3.0", "Error: cannot return a delivery notification for refused recipients; try again later"));
        }
        return List.of(SmtpReply.of(250, "2.0.0", "Ok: queued as " + item.queueId()));
    }

    /**
     * Each PDF that went out with a generated password: the password to the sender, in a notification of
     * its own, run through the flow like a bounce (so a local sender's copy is encrypted to its key like
     * any inbound mail). False when one could not be handed on.
     */
    private boolean notifyPasswords(MailItem item, List<RecipientResult> results, List<PasswordNotices.Notice> generated) {
        Address sender = item.from().sender();
        for (PasswordNotices.Notice n : generated) {
            boolean sent = results.stream().anyMatch(r -> r.recipient().address().equals(n.recipient())
                    && r.outcome().kind() == Outcome.Kind.DELIVERED);
            if (!sent) {
                continue; // deferred or refused: that PDF did not leave, its password is wiped
            }
            if (sender.isNull()) {
                log.warn("{}: to=<{}>: a PDF with a generated password, and a null sender to tell it to", item.queueId(), n.recipient());
                continue;
            }
            Path file = null;
            try {
                file = spool.workFile(item.queueId(), ".pdfpw");
                String noticeId = QueueIds.next();
                PasswordNotices.write(file, hostname, item.queueId(), sender, n);
                MailItem notice = new MailItem(noticeId, item.session(), MailFrom.of(Address.NULL_SENDER),
                        List.of(new Recipient(RcptTo.of(sender), access.isLocal(sender) ? Direction.INBOUND : Direction.OUTBOUND, 0)),
                        file, Instant.now());
                log.info("{}: to=<{}>: PDF password notification to the sender: {}", item.queueId(), n.recipient(), noticeId);
                List<RecipientResult> r = pipeline.run(notice);
                logResults(notice, r);
                if (r.get(0).outcome().kind() != Outcome.Kind.DELIVERED) {
                    return false;
                }
            } catch (IOException e) {
                log.error("{}: cannot write the PDF password notification: {}", item.queueId(), e.getMessage());
                return false;
            } finally {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // scratch file
                    }
                }
            }
        }
        return true;
    }

    /**
     * Some recipients were accepted and some refused: the refused ones are reported to the sender with a
     * DSN, relayed before we answer 250. Returns false if the DSN could not be handed on.
     */
    private boolean returnToSender(MailItem item, List<RecipientResult> rejected) {
        Address sender = item.from().sender();
        List<RecipientResult> wanted = rejected.stream().filter(r -> {
            var n = r.recipient().rcpt().notifyOn();
            return n.isEmpty() || n.contains(RcptTo.Notify.FAILURE); // RFC 3461 §4.1
        }).toList();
        if (sender.isNull() || wanted.isEmpty()) {
            log.info("{}: no notification for {} refused recipient(s) ({})", item.queueId(), rejected.size(),
                    sender.isNull() ? "null sender" : "NOTIFY");
            return true;
        }
        Path dsn = null;
        try {
            dsn = spool.workFile(item.queueId(), ".dsn");
            Bounces.write(dsn, hostname, item, wanted);
            String bounceId = QueueIds.next();
            MailItem bounce = new MailItem(bounceId, item.session(), MailFrom.of(Address.NULL_SENDER),
                    List.of(new Recipient(RcptTo.of(sender), access.isLocal(sender) ? Direction.INBOUND : Direction.OUTBOUND, 0)),
                    dsn, Instant.now());
            log.info("{}: sender non-delivery notification: {}", item.queueId(), bounceId);
            List<RecipientResult> r = pipeline.run(bounce);
            logResults(bounce, r);
            return r.get(0).outcome().kind() == Outcome.Kind.DELIVERED || r.get(0).outcome().kind() == Outcome.Kind.REJECT;
        } catch (IOException e) {
            log.error("{}: cannot write delivery notification: {}", item.queueId(), e.getMessage());
            return false;
        } finally {
            if (dsn != null) {
                try {
                    Files.deleteIfExists(dsn);
                } catch (IOException ignored) {
                    // scratch file
                }
            }
        }
    }
}
