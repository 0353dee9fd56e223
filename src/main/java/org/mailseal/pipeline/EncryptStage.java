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
    /** The body of the message being encrypted, opened once more when a seal digests it first. */
    public interface Body {
        InputStream open() throws java.io.IOException;
    }

    public static String encrypt(Treatment treatment, RawHeader h, Body body, OutputStream o, StorageSeal seal) throws Exception {
        return encrypt(treatment, h, body, o, seal, null, null);
    }

    /**
     * {@code subjectTag}: the scan stage's spam tag, put in front of the outer Subject placeholder (or null).
     * {@code queueId}: the gateway's own Received field for it stays outside only, so the recipient
     * decrypts the message as it was received (null: none to look for).
     */
    public static String encrypt(Treatment treatment, RawHeader header, Body body, OutputStream o, StorageSeal seal, String subjectTag,
                                 String queueId) throws Exception {
        TraceHeader.Split split = queueId != null ? TraceHeader.split(header, queueId) : new TraceHeader.Split(header, new byte[0]);
        RawHeader h = split.rest();
        List<String> info = new ArrayList<>();
        if (treatment instanceof Encryption.Pgp e) {
            List<PGPPublicKey> keys = new ArrayList<>();
            for (Encryption.Keyed k : e.keys()) {
                // Trace inside the encrypted part only: why this recipient was encrypted, to which key.
                info.add("X-Mailseal-Info: <" + k.recipient().address() + "> encrypted to OpenPGP key " + k.cert().fingerprint()
                        + " (" + k.why() + ")\r\n");
                keys.add(k.cert().encryptionKeys().get(0));
            }
            HeaderProtection.Result hp = HeaderProtection.protect(h, e.outer().withSubjectTag(subjectTag), info);
            byte[] inner = sealed(hp.inner(), body, seal);
            try (InputStream in = body.open()) {
                PgpMimeEncryptor.write(o, concat(split.trace(), hp.outer()), inner, in, keys);
            }
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
            byte[] inner = sealed(hp.inner(), body, seal);
            try (InputStream in = body.open()) {
                SmimeEncryptor.write(o, concat(split.trace(), hp.outer()), inner, in, certs, e.gcm());
            }
            return e.gcm() ? "S/MIME, AuthEnvelopedData AES-256-GCM" : "S/MIME, EnvelopedData AES-256-CBC";
        }
        throw new IllegalArgumentException("not an encrypting treatment: " + treatment);
    }

    /**
     * The inner header with mailseal's storage seal as its last field, bound to this header and body (a first
     * read of the body): inside only, this copy is mailseal's, never to be decrypted and relayed outbound.
     */
    private static byte[] sealed(byte[] inner, Body body, StorageSeal seal) throws java.io.IOException {
        if (seal == null) {
            return inner;
        }
        try (InputStream in = body.open()) {
            return concat(inner, seal.field(StorageSeal.digest(inner, in)).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
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
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 65536)) {
            RawHeader h = item.header();
            method = encrypt(item.treatment(), h, item::openBody, o, seal, item.subjectTag(), item.queueId());
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
