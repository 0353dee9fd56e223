package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.mail.MailItem;
import org.mailseal.mailauth.dkim.BodyHash;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound DKIM signing (RFC 6376 §5), the last change made to the message: after decryption, signing,
 * encryption or the PDF, so that what leaves is what was signed. It signs with every active key of the
 * From address's domain (rsa-sha256 and, if there is one, ed25519-sha256, RFC 8463). A domain without a
 * key, or a header with no single From address, leaves unsigned; a key that cannot be opened defers (4xx).
 */
public final class DkimSignStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("dkim");

    /** The signing keys of a domain (none: the domain does not sign). */
    public interface Keys {
        List<DkimSigner.SigningKey> forDomain(String domain) throws Exception;

        Keys NONE = domain -> List.of();
    }

    private final Spool spool;
    private final Keys keys;

    public DkimSignStage(Spool spool, Keys keys) {
        this.spool = spool;
        this.keys = keys;
    }

    @Override
    public String name() {
        return "dkim-sign";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        RawHeader h;
        try {
            h = item.header();
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        }
        long froms = h.fields().stream().filter(f -> f.is("From")).count();
        String from = froms == 1 ? HarvestStage.fromAddress(h) : null;
        if (from == null) {
            log.info("{}: not DKIM-signed: the header has no single From address", item.queueId());
            return Routing.proceed(item);
        }
        String domain = from.substring(from.lastIndexOf('@') + 1);
        List<DkimSigner.SigningKey> ks = keys.forDomain(domain);
        if (ks.isEmpty()) {
            log.debug("{}: not DKIM-signed: no key for {}", item.queueId(), domain);
            return Routing.proceed(item);
        }
        byte[] bodyHash;
        try (InputStream in = item.openBody()) {
            bodyHash = BodyHash.of(in, Canonicalization.RELAXED);
        }
        Instant now = Instant.now();
        List<RawHeader.Field> signatures = new ArrayList<>();
        for (DkimSigner.SigningKey k : ks) {
            signatures.add(0, DkimSigner.sign(h.fields(), bodyHash, k, now));
        }
        Path out = spool.workFile(item.queueId(), ".dkim");
        try (InputStream in = item.openBody()) {
            HeaderRewriter.prepend(out, signatures, h, in);
        }
        log.info("{}: DKIM-signed for {} ({})", item.queueId(), domain,
                String.join(", ", ks.stream().map(k -> "s=" + k.selector() + " a=" + k.algorithm().tag()).toList()));
        return Routing.proceed(item.withContent(out));
    }
}
