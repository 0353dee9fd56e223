package org.mailseal.mime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;

/**
 * Decides whether a message is already encrypted, so that it passes through untouched: PGP/MIME
 * (RFC 3156 §4), S/MIME enveloped or authEnveloped data (RFC 8551 §3.2), Exchange-mangled PGP/MIME
 * (multipart/mixed holding an application/pgp-encrypted part), and an inline PGP message
 * (a text body whose first non-blank line is {@code -----BEGIN PGP MESSAGE-----}).
 *
 * <p>Armor lines quoted inside a longer text do not count: that mail is plaintext and gets encrypted.
 */
public final class EncryptionDetector {

    private EncryptionDetector() {
    }

    /** What was found; {@code NONE} means plaintext. */
    public enum Kind { NONE, PGP_MIME, PGP_MIME_MANGLED, PGP_INLINE, SMIME }

    public static Kind detect(RawHeader header, InputStream body) throws IOException {
        String ct = header.value("Content-Type");
        String type = ContentTypes.mediaType(ct);
        if (type.equals("multipart/encrypted")) {
            return Kind.PGP_MIME;
        }
        if (isSmime(type, ct)) {
            return Kind.SMIME;
        }
        if (type.equals("multipart/mixed")) {
            return mangled(ct, body) ? Kind.PGP_MIME_MANGLED : Kind.NONE;
        }
        if (type.equals("text/plain") || type.equals("application/pgp")) {
            return inline(body) ? Kind.PGP_INLINE : Kind.NONE;
        }
        return Kind.NONE;
    }

    private static boolean isSmime(String type, String ct) {
        if (!type.equals("application/pkcs7-mime") && !type.equals("application/x-pkcs7-mime")) {
            return false;
        }
        String st = ContentTypes.param(ct, "smime-type");
        if (st == null) {
            String name = ContentTypes.param(ct, "name");
            return name == null || name.toLowerCase().endsWith(".p7m");
        }
        return st.equalsIgnoreCase("enveloped-data") || st.equalsIgnoreCase("authEnveloped-data");
    }

    // First non-blank line of at most the first 64 KiB.
    private static boolean inline(InputStream body) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(new BoundedInputStream(body, 65536), StandardCharsets.ISO_8859_1));
        String line;
        while ((line = r.readLine()) != null) {
            if (!line.isBlank()) {
                return line.strip().equals("-----BEGIN PGP MESSAGE-----");
            }
        }
        return false;
    }

    // Exchange rewrites PGP/MIME as multipart/mixed with the application/pgp-encrypted part kept.
    private static boolean mangled(String ct, InputStream body) throws IOException {
        MimeConfig cfg = MimeConfig.custom().setMaxHeaderCount(1000).setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxContentLen(-1).build();
        MimeTokenStream ts = new MimeTokenStream(cfg);
        // Feed a synthetic root header so mime4j parses the parts of this multipart body.
        String root = "Content-Type: " + ct + "\r\n\r\n";
        ts.parse(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(root.getBytes(StandardCharsets.UTF_8)),
                new BoundedInputStream(body, 1 << 20)));
        int depth = 0;
        int parts = 0;
        try {
            for (EntityState s = ts.getState(); s != EntityState.T_END_OF_STREAM && parts < 10; s = ts.next()) {
                switch (s) {
                    case T_START_MULTIPART -> depth++;
                    case T_END_MULTIPART -> depth--;
                    case T_START_BODYPART -> parts++;
                    case T_FIELD -> {
                        Field f = ts.getField();
                        if (depth == 1 && f.getName().equalsIgnoreCase("Content-Type")
                                && ContentTypes.mediaType(f.getBody()).equals("application/pgp-encrypted")) {
                            return true;
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (MimeException | RuntimeException e) {
            return false; // not parseable: treat as plaintext, so it is encrypted (fail closed)
        }
        return false;
    }

    /** Reads at most {@code limit} bytes, then reports end of stream. */
    static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
