package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.mailauth.arc.ArcSealer;
import org.mailseal.mailauth.dkim.BodyHash;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After encryption, inbound mail gets the next ARC set (RFC 8617 §5.1): encrypting broke the sender's
 * DKIM signature, so the provider, which sees only the encrypted message, can take the gateway's
 * verdict from before the change, sealed, instead (Microsoft 365 and Gmail read ARC from sealers they
 * trust). The verdict is the gateway's own Authentication-Results, which the encrypted message keeps
 * outside too; its {@code arc=} is the incoming chain's state. Each recipient domain seals with its own
 * RSA DKIM key; a domain without one, or mail that passed unchanged, gets no seal.
 */
public final class ArcSealStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("arc");
    private static final Pattern ARC = Pattern.compile("(?:^|;)\\s*arc=([a-z]+)");

    private final Spool spool;
    private final String authservId;
    private final DkimSignStage.Keys keys;

    public ArcSealStage(Spool spool, String authservId, DkimSignStage.Keys keys) {
        this.spool = spool;
        this.authservId = authservId;
        this.keys = keys;
    }

    @Override
    public String name() {
        return "arc-seal";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        if (!(item.treatment() instanceof Treatment.Transformed)) {
            return Routing.proceed(item); // unchanged mail keeps its own signatures valid
        }
        RawHeader h = item.header();
        RawHeader.Field ours = h.fields().stream().filter(f -> f.is("Authentication-Results") && authservId.equals(AuthservId.of(f.value(), false)))
                .findFirst().orElse(null);
        if (ours == null) {
            return Routing.proceed(item);
        }
        String value = ours.value();
        String results = value.substring(value.indexOf(';') + 1).strip();
        Matcher m = ARC.matcher(results);
        String incoming = m.find() ? m.group(1) : "none";
        Map<String, List<Recipient>> byDomain = new LinkedHashMap<>();
        for (Recipient r : item.recipients()) {
            byDomain.computeIfAbsent(r.address().domainLower(), d -> new ArrayList<>()).add(r);
        }
        byte[] bodyHash = null;
        Routing routing = new Routing();
        for (Map.Entry<String, List<Recipient>> e : byDomain.entrySet()) {
            MailItem group = byDomain.size() == 1 ? item : item.withRecipients(e.getValue());
            DkimSigner.SigningKey key = keys.forDomain(e.getKey()).stream().filter(k -> k.algorithm() == DkimAlgorithm.RSA_SHA256).findFirst().orElse(null);
            if (key == null) {
                log.debug("{}: not ARC-sealed: no RSA DKIM key for {}", item.queueId(), e.getKey());
                routing.proceedWith(group);
                continue;
            }
            if (bodyHash == null) {
                try (InputStream in = item.openBody()) {
                    bodyHash = BodyHash.of(in, Canonicalization.RELAXED);
                }
            }
            List<RawHeader.Field> set = ArcSealer.seal(h, bodyHash, key, authservId, results.replaceAll("\r?\n", "\r\n"), incoming, Instant.now());
            if (set.isEmpty()) {
                log.info("{}: not ARC-sealed: the chain already has 50 sets", item.queueId());
                routing.proceedWith(group);
                continue;
            }
            Path out = spool.workFile(item.queueId(), ".arc");
            try (InputStream in = item.openBody()) {
                // On top, above the gateway's own Received: the newest trace first (RFC 8617 §4.2.1).
                HeaderRewriter.prepend(out, set, h, in);
            }
            log.info("{}: ARC-sealed for {} (i={}, cv from {}, s={})", item.queueId(), e.getKey(), set.get(0).value().replaceAll(";.*", ""),
                    incoming, key.selector());
            routing.proceedWith(group.withContent(out));
        }
        return routing;
    }
}
