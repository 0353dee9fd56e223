package org.mailseal.pipeline;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.mailseal.crypto.pgp.PgpMimeEncryptor;
import org.mailseal.crypto.smime.SmimeEncryptor;
import org.mailseal.keys.StorageSeal;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Treatment;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.Encryption;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts a group the policy stage marked for encryption: {@link Encryption.Pgp} as PGP/MIME
 * (RFC 3156 §4), {@link Encryption.Smime} as S/MIME (RFC 8551 §3.3), both with header protection
 * (RFC 9788), streamed from the spool file into a new work file. Any failure throws,
 * and the pipeline defers the group: nothing of it is relayed in plaintext.
 */
public final class EncryptStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("encrypt");

    private final Spool spool;
    private final StorageSeal seal;

    public EncryptStage(Spool spool, StorageSeal seal) {
        this.spool = spool;
        this.seal = seal;
    }

    @Override
    public String name() {
        return "encrypt";
    }

    /**
     * Writes the encrypted form of a message (header {@code h}, then the rest of {@code body}) for one
     * encrypting treatment; returns a description of the method for the log.
     */
    public static String encrypt(Treatment treatment, RawHeader h, InputStream body, OutputStream o, StorageSeal seal) throws Exception {
        return encrypt(treatment, h, body, o, seal, null, null);
    }

    /**
     * {@code subjectTag}: the scan stage's spam tag, put in front of the outer Subject placeholder (or null).
     * {@code queueId}: the gateway's own Received field for it stays outside only, so the recipient
     * decrypts the message as it was received (null: none to look for).
     */
    public static String encrypt(Treatment treatment, RawHeader header, InputStream body, OutputStream o, StorageSeal seal, String subjectTag,
                                 String queueId) throws Exception {
        TraceHeader.Split split = queueId != null ? TraceHeader.split(header, queueId) : new TraceHeader.Split(header, new byte[0]);
        RawHeader h = split.rest();
        List<String> info = new ArrayList<>();
        if (seal != null) {
            info.add(seal.field()); // inside only: this copy is mailseal's, never to be decrypted and relayed outbound
        }
        if (treatment instanceof Encryption.Pgp e) {
            List<PGPPublicKey> keys = new ArrayList<>();
            for (Encryption.Keyed k : e.keys()) {
                // Trace inside the encrypted part only: why this recipient was encrypted, to which key.
                info.add("X-Mailseal-Info: <" + k.recipient().address() + "> encrypted to OpenPGP key " + k.cert().fingerprint()
                        + " (" + k.why() + ")\r\n");
                keys.add(k.cert().encryptionKeys().get(0));
            }
            HeaderProtection.Result hp = HeaderProtection.protect(h, e.outer().withSubjectTag(subjectTag), info);
            PgpMimeEncryptor.write(o, concat(split.trace(), hp.outer()), hp.inner(), body, keys);
            return "OpenPGP, PGP/MIME";
        }
        if (treatment instanceof Encryption.Smime e) {
            List<X509Certificate> certs = new ArrayList<>();
            for (Encryption.Certified c : e.certs()) {
                info.add("X-Mailseal-Info: <" + c.recipient().address() + "> encrypted to S/MIME certificate " + c.cert().fingerprint()
                        + " (" + c.why() + ")\r\n");
                certs.add(c.cert().cert());
            }
            HeaderProtection.Result hp = HeaderProtection.protect(h, e.outer().withSubjectTag(subjectTag), info);
            SmimeEncryptor.write(o, concat(split.trace(), hp.outer()), hp.inner(), body, certs, e.gcm());
            return e.gcm() ? "S/MIME, AuthEnvelopedData AES-256-GCM" : "S/MIME, EnvelopedData AES-256-CBC";
        }
        throw new IllegalArgumentException("not an encrypting treatment: " + treatment);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        if (!(item.treatment() instanceof Encryption.Pgp) && !(item.treatment() instanceof Encryption.Smime)) {
            return Routing.proceed(item);
        }
        Path out = spool.workFile(item.queueId(), ".enc");
        boolean ok = false;
        String method = "?";
        try (InputStream in = item.openBody();
             OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 65536)) {
            RawHeader h = item.header();
            method = encrypt(item.treatment(), h, in, o, seal, item.subjectTag(), item.queueId());
            ok = true;
        } catch (RawHeader.TooLargeException tooLarge) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        } finally {
            if (!ok) {
                Files.deleteIfExists(out);
            }
        }
        log.info("{}: encrypted ({}) for {}: {} -> {} bytes", item.queueId(), method, item.recipients(), item.size(), Files.size(out));
        return Routing.proceed(item.withContent(out).withTreatment(new Treatment.Transformed("encrypted")));
    }

}
