package org.mailseal.pipeline;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mailseal.config.SignMethod;
import org.mailseal.crypto.smime.SmimeDecryptor;
import org.mailseal.crypto.smime.SmimeSigner;
import org.mailseal.keys.SenderKeys;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.MultipartSigned;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs outbound mail when the sender's policy says so ({@code sign: openpgp|smime}, resolved for the
 * sender: user ← sender domain ← global): PGP/MIME (RFC 3156 §5) or S/MIME multipart/signed (RFC 8551
 * §3.5.3), with the sender's own key, else the relay key of the sender's domain. Runs before
 * encryption (sign, then encrypt). Mail that is still encrypted (end to end, to keys the gateway does not hold) is not signed. Without a signing key
 * the mail goes out unsigned, with a warning in the log: a missing signature never holds mail back.
 */
public final class SignStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("sign");

    private final Spool spool;
    private final Policies policy;
    private final SenderKeys keys;

    /** The sender's effective policy (user, then domain, then global). */
    public interface Policies {
        PolicyResolver.Effective resolve(Address sender) throws Exception;
    }

    public SignStage(Spool spool, Policies policy, SenderKeys keys) {
        this.spool = spool;
        this.policy = policy;
        this.keys = keys;
    }

    @Override
    public String name() {
        return "sign";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        String sender = item.senderIdentity();
        if (sender == null) {
            return Routing.proceed(item);
        }
        PolicyResolver.Effective p = policy.resolve(Address.parse(sender));
        SignMethod method = p.sign();
        if (method == SignMethod.NONE) {
            return Routing.proceed(item);
        }
        try (InputStream in = item.openBody()) {
            if (EncryptionDetector.detect(item.header(), in) != EncryptionDetector.Kind.NONE) {
                return Routing.proceed(item); // encrypted end to end by the client: left as it is
            }
        }
        String relay = keys.relayAddress(sender.substring(sender.lastIndexOf('@') + 1));
        MultipartSigned.Signer signer = null;
        String signedWith = null;
        if (method == SignMethod.OPENPGP) {
            for (String who : List.of(sender, relay)) {
                signer = keys.pgpSigner(who);
                if (signer != null) {
                    signedWith = "OpenPGP key of <" + who + ">" + (who.equals(relay) ? " (domain)" : "");
                    break;
                }
            }
        } else {
            for (String who : List.of(sender, relay)) {
                List<SmimeDecryptor.Candidate> ks = keys.smimeKeys(who);
                if (!ks.isEmpty()) {
                    SmimeDecryptor.Candidate c = ks.get(0);
                    signer = new SmimeSigner(c.cert(), c.key(), keys.chainFor(c.cert()));
                    signedWith = "S/MIME certificate " + org.mailseal.crypto.smime.SmimeCerts.fingerprint(c.cert()) + (who.equals(relay) ? " (domain)" : "");
                    break;
                }
            }
        }
        if (signer == null) {
            log.warn("{}: from=<{}>: sign={} ({}) but no signing key for the sender or {}; sent unsigned", item.queueId(), sender, method.name().toLowerCase(java.util.Locale.ROOT),
                    p.source("sign"), relay);
            return Routing.proceed(item);
        }
        boolean eightBit;
        RawHeader h = item.header();
        try (InputStream in = item.openBody()) {
            eightBit = MultipartSigned.has8bit(in);
        }
        String type = h.mediaType();
        boolean toBase64 = eightBit && !type.startsWith("multipart/") && !type.startsWith("message/");
        if (eightBit && !toBase64) {
            log.info("{}: signed part has 8-bit content inside a {}; signed as it is", item.queueId(), type);
        }
        Path out = spool.workFile(item.queueId(), ".sig");
        boolean ok = false;
        try (InputStream in = item.openBody();
             OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 65536)) {
            MultipartSigned.write(o, h, in, toBase64, signer);
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(out);
            }
        }
        log.info("{}: signed ({}) for {}", item.queueId(), signedWith, item.recipients());
        return Routing.proceed(item.withContent(out));
    }

}
