package org.mailseal.bridge;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.mailseal.crypto.CappedOutputStream;
import org.mailseal.crypto.MessageOpener;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a message from the cloud mailbox into what the client reads: an encrypted one (proved from its
 * bytes, as the inbound path proves it) opened with the user's own keys and its header restored (RFC 9788
 * §4.3: the inner header replaces the outer, without HP-Outer and the markers); anything else as it is. A
 * message that does not open is served as it is with an {@code X-Mailseal-Bridge} note, never dropped.
 *
 * <p>The inner header replaces the outer one only when mailseal wrote it: its storage seal
 * ({@code X-Mailseal-Sealed}, a MAC only mailseal can make) is inside. A message a sender encrypted to the
 * user's published key carries an inner header nobody checked (its From is what the sender typed, while the
 * outer From passed DMARC): its outer fields stay, only its MIME fields are taken, and a note says so.
 */
final class Unsealer {

    private static final Logger log = LoggerFactory.getLogger("bridge");
    static final String NOTE = "X-Mailseal-Bridge";

    private final MessageOpener.Keys keys;
    private final Path tmp;
    private final long max;
    private final org.mailseal.keys.StorageSeal seal;

    Unsealer(MessageOpener.Keys keys, Path tmp, long max, org.mailseal.keys.StorageSeal seal) {
        this.keys = keys;
        this.tmp = tmp;
        this.max = max;
        this.seal = seal;
    }

    /** The message as the client reads it. */
    byte[] open(String user, byte[] raw) throws IOException {
        RawHeader outer;
        EncryptionDetector.Kind kind;
        try {
            BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(raw));
            outer = RawHeader.read(in, RawHeader.MAX_SECTION);
            kind = EncryptionDetector.detect(outer, in);
        } catch (IOException e) {
            return raw;
        }
        if (kind == EncryptionDetector.Kind.NONE || kind == EncryptionDetector.Kind.PGP_MIME_MANGLED) {
            return raw;
        }
        // only the inline-PGP check reads the message from a file (is the armor the whole body?)
        Path content = kind == EncryptionDetector.Kind.PGP_INLINE ? Files.createTempFile(Files.createDirectories(tmp), "b", ".eml") : null;
        try {
            if (content != null) {
                Files.write(content, raw);
            }
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            Optional<MessageOpener.Opened> o;
            try (InputStream body = bodyOf(raw);
                 CappedOutputStream capped = new CappedOutputStream(plain, max)) {
                o = MessageOpener.open(content, () -> bodyOf(raw), outer, body, kind, user, user, keys, capped);
            } catch (MessageOpener.Refused | CappedOutputStream.TooLarge e) {
                return noted(raw, "not decrypted: " + e.getMessage());
            } catch (org.mailseal.crypto.pgp.PgpDecryptor.KeyUnavailableException e) {
                throw new IOException("key unavailable: " + e.getMessage(), e);
            } catch (Exception e) {
                return noted(raw, "not decrypted: " + e.getClass().getSimpleName());
            }
            if (o.isEmpty()) {
                return raw; // encrypted to keys the gateway does not hold: the client's own business
            }
            return assemble(outer, plain.toByteArray(), kind);
        } finally {
            if (content != null) {
                Files.deleteIfExists(content);
            }
        }
    }

    private static InputStream bodyOf(byte[] raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(raw));
        RawHeader.read(in, RawHeader.MAX_SECTION);
        return in;
    }

    private byte[] assemble(RawHeader outer, byte[] plain, EncryptionDetector.Kind kind) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream(plain.length + 4096);
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(plain));
        if (kind == EncryptionDetector.Kind.PGP_INLINE) {
            HeaderRewriter.write(o, outer.fields(), true, in);
            return o.toByteArray();
        }
        RawHeader inner = RawHeader.read(in, RawHeader.MAX_SECTION);
        org.mailseal.keys.StorageSeal.Check sealed = seal(inner, plain, plain.length - in.available());
        boolean ours = sealed == org.mailseal.keys.StorageSeal.Check.BOUND;
        String note = ours || !HeaderProtection.isProtected(inner) ? null
                : sealed == org.mailseal.keys.StorageSeal.Check.LEGACY
                ? "stored by an earlier mailseal, whose seal does not cover the message: the header fields inside are not shown"
                : "encrypted by its sender, not by mailseal: the header fields inside were not checked and are not shown";
        if (note != null) {
            o.write((NOTE + ": " + note + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        o.write(HeaderProtection.restore(outer, inner, ours));
        o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        in.transferTo(o);
        return o.toByteArray();
    }

    /**
     * Whether mailseal sealed this very message for storage: a seal copied into another message (every user
     * can read those in their own mail) does not fit that message's header and body.
     */
    private org.mailseal.keys.StorageSeal.Check seal(RawHeader inner, byte[] plain, int body) throws IOException {
        org.mailseal.keys.StorageSeal.Check best = org.mailseal.keys.StorageSeal.Check.NONE;
        if (seal == null || inner.fields().stream().noneMatch(f -> f.is(org.mailseal.keys.StorageSeal.FIELD))) {
            return best;
        }
        byte[] digest = org.mailseal.keys.StorageSeal.digest(inner, new ByteArrayInputStream(plain, body, plain.length - body));
        for (RawHeader.Field f : inner.fields()) {
            if (f.is(org.mailseal.keys.StorageSeal.FIELD)) {
                org.mailseal.keys.StorageSeal.Check c = seal.check(f.value(), digest);
                if (c.compareTo(best) > 0) {
                    best = c;
                }
            }
        }
        return best;
    }

    private static byte[] noted(byte[] raw, String why) {
        log.info("a message was served as it is: {}", org.mailseal.logging.LogSafe.text(why)); // the reason may quote the message
        byte[] note = (NOTE + ": " + why.replaceAll("[\r\n]", " ") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[note.length + raw.length];
        System.arraycopy(note, 0, out, 0, note.length);
        System.arraycopy(raw, 0, out, note.length, raw.length);
        return out;
    }
}
