package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.config.Authentication;
import org.mailseal.config.DmarcAction;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.mailauth.results.AuthenticationResults;
import org.mailseal.mailauth.dkim.DkimResult;
import org.mailseal.mailauth.dkim.DkimVerifier;
import org.mailseal.mailauth.dmarc.DmarcResult;
import org.mailseal.mailauth.dmarc.DmarcVerifier;
import org.mailseal.mailauth.spf.SpfResult;
import org.mailseal.mailauth.spf.SpfVerifier;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.scan.Quarantine;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound authentication while the message is still readable: an existing ARC chain (RFC 8617 §5.2), SPF
 * for the client (RFC 7208; the client Postfix names in XFORWARD, else the peer), every DKIM signature (RFC
 * 6376 §6), and DMARC for the From domain (RFC 7489). The verdicts go into one {@code Authentication-Results} field with our authserv-id at
 * the top of the header (RFC 8601 §4), just below the gateway's own Received field; the encrypt stage after
 * it encrypts that field with the message, so the verdict travels inside the encrypted part. Fields
 * claiming our authserv-id were taken out before (the sanitize stage, RFC 8601 §5).
 *
 * <p>A From domain that passed DMARC is recorded on the item ({@link MailItem#authenticatedFrom}); the key
 * harvest stage learns Autocrypt keys only then. Per recipient domain ({@code authentication.dmarc}), mail
 * failing DMARC is tagged only, quarantined, or refused with 550 5.7.1 under the sender's p=reject. A DNS
 * failure is a {@code temperror}, which never rejects.
 */
public final class AuthenticateStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("auth");

    private final Spool spool;
    private final String authservId;
    private final DkimVerifier dkim;
    private final SpfVerifier spf;
    private final DmarcVerifier dmarc;
    private final org.mailseal.mailauth.arc.ArcVerifier arc;
    private final Authentication settings;
    private final Quarantine quarantine;

    /** {@code quarantine} null: none possible (no master key); a quarantine verdict then defers. */
    public AuthenticateStage(Spool spool, String authservId, DkimVerifier dkim, SpfVerifier spf, DmarcVerifier dmarc,
                             org.mailseal.mailauth.arc.ArcVerifier arc, Authentication settings, Quarantine quarantine) {
        this.arc = arc;
        this.spool = spool;
        this.authservId = authservId;
        this.dkim = dkim;
        this.spf = spf;
        this.dmarc = dmarc;
        this.settings = settings;
        this.quarantine = quarantine;
    }

    @Override
    public String name() {
        return "authenticate";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        RawHeader h;
        try {
            h = item.header();
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        }
        List<DkimResult> dkimResults;
        try (InputStream in = item.openBody()) {
            dkimResults = dkim.verify(h, in, Instant.now());
        }
        org.mailseal.mailauth.arc.ArcVerifier.Result arcResult;
        try (InputStream in = item.openBody()) {
            arcResult = arc.verify(h, in);
        }
        String client = item.session().originalClientAddress();
        String helo = item.session().originalHelo();
        String mailFrom = item.from().sender().isNull() ? "" : item.from().sender().toString();
        SpfResult spfResult = spf.check(client, mailFrom, helo);
        long froms = h.fields().stream().filter(f -> f.is("From")).count();
        String from = froms == 1 ? HarvestStage.fromAddress(h) : null;
        DmarcResult dmarcResult = dmarc.evaluate(from == null ? null : from.substring(from.lastIndexOf('@') + 1), dkimResults, spfResult);

        RawHeader.Field ar = HeaderRewriter.field("Authentication-Results", AuthenticationResults.value(authservId, spfResult, dkimResults, dmarcResult, arcResult));
        Path out = spool.workFile(item.queueId(), ".auth");
        try (InputStream in = item.openBody()) {
            // Below the gateway's own Received field, which the encrypt stage keeps outside only.
            TraceHeader.Split split = TraceHeader.split(h, item.queueId());
            HeaderRewriter.rewrite(out, split.rest(), in, fields -> {
                List<RawHeader.Field> all = new ArrayList<>();
                if (split.trace().length > 0) {
                    all.add(new RawHeader.Field("Received", split.trace()));
                }
                int i = 0;
                // A first line that began with white space was folded onto our Received field; it stays with it.
                for (; i < fields.size() && fields.get(i).name().isEmpty(); i++) {
                    all.add(fields.get(i));
                }
                all.add(ar);
                all.addAll(fields.subList(i, fields.size()));
                return all;
            });
        }
        log.info("{}: arc={} spf={} ({}){} dmarc={}{}", item.queueId(), arcResult.verdict().keyword(), spfResult.verdict().keyword(), spfResult.identity(),
                dkimResults.isEmpty() ? " dkim=none" : dkimResults.stream().map(r -> " dkim=" + r.verdict().keyword() + " (d=" + r.domain() + " s="
                        + r.selector() + (r.reason() != null ? ": " + r.reason() : "") + ")").reduce("", String::concat),
                dmarcResult.verdict().keyword(), dmarcResult.policy() != null ? " (p=" + dmarcResult.policy().name().toLowerCase(java.util.Locale.ROOT)
                        + " header.from=" + dmarcResult.fromDomain() + ")" : "");
        MailItem next = item.withContent(out).withAuthenticatedFrom(dmarcResult.passed() ? dmarcResult.fromDomain() : null);
        if (dmarcResult.verdict() != org.mailseal.mailauth.Verdict.FAIL || dmarcResult.policy() == null
                || dmarcResult.policy() == DmarcResult.Policy.NONE) {
            return Routing.proceed(next);
        }
        // DMARC failed under the sender's p=quarantine or p=reject: each recipient domain's action.
        Map<DmarcAction, List<Recipient>> byAction = new LinkedHashMap<>();
        for (Recipient r : next.recipients()) {
            byAction.computeIfAbsent(settings.dmarcFor(r.address().domainLower()), k -> new ArrayList<>()).add(r);
        }
        Routing routing = new Routing();
        for (Map.Entry<DmarcAction, List<Recipient>> e : byAction.entrySet()) {
            MailItem group = next.withRecipients(e.getValue());
            boolean reject = e.getKey() == DmarcAction.REJECT && dmarcResult.policy() == DmarcResult.Policy.REJECT;
            if (e.getKey() == DmarcAction.TAG) {
                routing.proceedWith(group);
            } else if (reject) {
                log.info("{}: {}: rejected: DMARC failed for {} (p=reject)", item.queueId(), e.getValue(), dmarcResult.fromDomain());
                routing.reject(group, SmtpReply.of(550, "5.7.1", "Error: message rejected: it fails the DMARC policy of " + dmarcResult.fromDomain()));
            } else {
                routing.add(group, hold(group, "DMARC failed for " + dmarcResult.fromDomain() + " (p="
                        + dmarcResult.policy().name().toLowerCase(java.util.Locale.ROOT) + ")"));
            }
        }
        return routing;
    }

    private Outcome hold(MailItem group, String reason) throws Exception {
        return Holds.hold(quarantine, group, reason, log);
    }
}
