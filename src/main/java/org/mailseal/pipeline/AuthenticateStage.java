package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.mail.MailItem;
import org.mailseal.mailauth.AuthenticationResults;
import org.mailseal.mailauth.dkim.DkimResult;
import org.mailseal.mailauth.dkim.DkimVerifier;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound authentication while the message is still readable: every DKIM signature is verified (RFC 6376
 * §6) and the verdicts go into one {@code Authentication-Results} field with our authserv-id at the top of the
 * header (RFC 8601 §4), just below the gateway's own Received field. The encrypt stage after it encrypts that field with the message, so the verdict
 * travels inside the encrypted part, where the recipient's client finds it. Fields claiming our
 * authserv-id were taken out before (the sanitize stage, RFC 8601 §5).
 */
public final class AuthenticateStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("auth");

    private final Spool spool;
    private final String authservId;
    private final DkimVerifier dkim;

    public AuthenticateStage(Spool spool, String authservId, DkimVerifier dkim) {
        this.spool = spool;
        this.authservId = authservId;
        this.dkim = dkim;
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
        List<DkimResult> results;
        try (InputStream in = item.openBody()) {
            results = dkim.verify(h, in, Instant.now());
        }
        RawHeader.Field ar = HeaderRewriter.field("Authentication-Results", AuthenticationResults.value(authservId, results));
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
        log.info("{}: {}", item.queueId(), results.isEmpty() ? "dkim=none"
                : String.join(", ", results.stream().map(r -> "dkim=" + r.verdict().keyword() + " d=" + r.domain() + " s=" + r.selector()
                        + (r.reason() != null ? " (" + r.reason() + ")" : "")).toList()));
        return Routing.proceed(item.withContent(out));
    }
}
