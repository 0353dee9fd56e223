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
 */
final class Unsealer {

    private static final Logger log = LoggerFactory.getLogger("bridge");
    static final String NOTE = "X-Mailseal-Bridge";

    /** What a message became, and how. */
    record Result(byte[] bytes, boolean decrypted, String note) {
    }

    private final MessageOpener.Keys keys;
    private final Path tmp;
    private final long max;

    Unsealer(MessageOpener.Keys keys, Path tmp, long max) {
        this.keys = keys;
        this.tmp = tmp;
        this.max = max;
    }

    Result open(String user, byte[] raw) throws IOException {
        RawHeader outer;
        EncryptionDetector.Kind kind;
        try {
            BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(raw));
            outer = RawHeader.read(in, RawHeader.MAX_SECTION);
            kind = EncryptionDetector.detect(outer, in);
        } catch (IOException e) {
            return new Result(raw, false, null);
        }
        if (kind == EncryptionDetector.Kind.NONE || kind == EncryptionDetector.Kind.PGP_MIME_MANGLED) {
            return new Result(raw, false, null);
        }
        Path content = Files.createTempFile(Files.createDirectories(tmp), "b", ".eml");
        try {
            Files.write(content, raw);
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
                return new Result(raw, false, null); // encrypted to keys the gateway does not hold: the client's own business
            }
            return new Result(assemble(outer, plain.toByteArray(), kind), true, null);
        } finally {
            Files.deleteIfExists(content);
        }
    }

    private static InputStream bodyOf(byte[] raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(raw));
        RawHeader.read(in, RawHeader.MAX_SECTION);
        return in;
    }

    private static byte[] assemble(RawHeader outer, byte[] plain, EncryptionDetector.Kind kind) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream(plain.length + 4096);
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(plain));
        if (kind == EncryptionDetector.Kind.PGP_INLINE) {
            HeaderRewriter.write(o, outer.fields(), true, in);
            return o.toByteArray();
        }
        RawHeader inner = RawHeader.read(in, RawHeader.MAX_SECTION);
        o.write(HeaderProtection.restore(outer, inner));
        o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        in.transferTo(o);
        return o.toByteArray();
    }

    private static Result noted(byte[] raw, String why) {
        log.info("a message was served as it is: {}", why);
        byte[] note = (NOTE + ": " + why.replaceAll("[\r\n]", " ") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[note.length + raw.length];
        System.arraycopy(note, 0, out, 0, note.length);
        System.arraycopy(raw, 0, out, note.length, raw.length);
        return new Result(out, false, why);
    }
}
