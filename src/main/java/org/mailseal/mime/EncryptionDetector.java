package org.mailseal.mime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;

/**
 * Decides whether a message is already encrypted, so that it may pass untouched. Every label a sender
 * writes (a Content-Type, a first line, a file name) is only a claim; "encrypted" is returned only
 * when the bytes prove it:
 *
 * <ul>
 *   <li><b>PGP/MIME</b> (RFC 3156 §4): {@code multipart/encrypted; protocol="application/pgp-encrypted"}
 *       with exactly two leaf parts, the first {@code application/pgp-encrypted} whose body is the line
 *       {@code Version: 1}, the second {@code application/octet-stream} whose body (armored or binary)
 *       is an OpenPGP encrypted message ({@link CiphertextShape#openPgp}); no text outside the parts
 *       but white space or the usual "This is an OpenPGP/MIME encrypted message" line.</li>
 *   <li><b>Exchange-mangled PGP/MIME</b>: exactly Exchange's rewrite, {@code multipart/mixed} holding an
 *       empty {@code text/plain} part, then the two PGP/MIME parts above, nothing else.</li>
 *   <li><b>Inline PGP</b>: a single-part text body that is, apart from surrounding white space, one
 *       {@code PGP MESSAGE} armor block decoding to an encrypted message.</li>
 *   <li><b>S/MIME</b> (RFC 8551 §3.3): {@code application/(x-)pkcs7-mime} whose base64 body is a CMS
 *       ContentInfo holding EnvelopedData or AuthEnvelopedData ({@link CiphertextShape#cms}).</li>
 * </ul>
 *
 * <p>A header with Content-Type twice, or a malformed Content-Type field name, is plaintext. Anything
 * else is plaintext and gets encrypted: encrypting twice is harmless, plaintext is not.
 */
public final class EncryptionDetector {

    private EncryptionDetector() {
    }

    /** What was found; {@code NONE} means plaintext. */
    public enum Kind { NONE, PGP_MIME, PGP_MIME_MANGLED, PGP_INLINE, SMIME }

    /** The most of a message the detector reads before it gives up and calls it plaintext. */
    static final long MAX_SCAN = 512L * 1024 * 1024;

    private static final Set<String> PREAMBLES = Set.of("", "this is an openpgp/mime encrypted message (rfc 4880 and 3156)",
            "this is an openpgp/mime encrypted message (rfc 2440 and 3156)", "this is an openpgp/mime encrypted message",
            "this is an encrypted message.", "openpgp/mime encrypted message", "this is a pgp/mime encrypted message (rfc 2440 and 3156)");

    public static Kind detect(RawHeader header, InputStream body) throws IOException {
        String ct = single(header, "Content-Type");
        String cte = single(header, "Content-Transfer-Encoding");
        if (ct == BAD || cte == BAD) {
            return Kind.NONE;
        }
        String type = ct == null ? "text/plain" : ContentTypes.mediaType(ct);
        try {
            return switch (type) {
                case "multipart/encrypted" -> pgpMime(ct, body) ? Kind.PGP_MIME : Kind.NONE;
                case "multipart/mixed" -> mangled(ct, body) ? Kind.PGP_MIME_MANGLED : Kind.NONE;
                case "application/pkcs7-mime", "application/x-pkcs7-mime" -> smime(ct, cte, body) ? Kind.SMIME : Kind.NONE;
                case "text/plain", "application/pgp" -> inline(cte, body) ? Kind.PGP_INLINE : Kind.NONE;
                default -> Kind.NONE;
            };
        } catch (MimeException | IOException | RuntimeException e) {
            // Not parseable as what it claims: plaintext, so it is encrypted (fail closed). A real read
            // error of the spool file shows again when the encrypt stage reads it, and defers there.
            return Kind.NONE;
        }
    }

    /**
     * What a message claims to be by its label alone (Content-Type, or a text body that starts with a
     * {@code PGP MESSAGE} armor line): for the outbound decrypt stage, which tries to open what a local
     * user's client says it encrypted and refuses, with one reply, what does not open. Never a reason to
     * let mail pass untouched: that is {@link #detect}'s proof.
     */
    public static Kind claimed(RawHeader header, InputStream body) throws IOException {
        String ct = header.value("Content-Type");
        String type = ct == null ? "text/plain" : ContentTypes.mediaType(ct);
        if (type.equals("multipart/encrypted")) {
            return Kind.PGP_MIME;
        }
        if (type.equals("application/pkcs7-mime") || type.equals("application/x-pkcs7-mime")) {
            String st = ContentTypes.param(ct, "smime-type");
            return st == null || st.trim().equalsIgnoreCase("enveloped-data") || st.trim().equalsIgnoreCase("authEnveloped-data")
                    ? Kind.SMIME : Kind.NONE;
        }
        if (type.equals("text/plain") || type.equals("application/pgp")) {
            java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(new BoundedInputStream(body, 65536),
                    StandardCharsets.ISO_8859_1));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    return line.strip().equals("-----BEGIN PGP MESSAGE-----") ? Kind.PGP_INLINE : Kind.NONE;
                }
            }
        }
        return Kind.NONE;
    }

    private static final String BAD = new String("bad");

    // The field's value if it occurs once with a clean name; null if absent; BAD if repeated or malformed.
    private static String single(RawHeader h, String name) {
        String found = null;
        for (RawHeader.Field f : h.fields()) {
            String n = f.name();
            if (n.strip().equalsIgnoreCase(name)) {
                if (found != null || !n.equals(n.strip())) {
                    return BAD;
                }
                found = f.value();
            }
        }
        return found;
    }

    private static boolean pgpMime(String ct, InputStream body) throws IOException, MimeException {
        String protocol = ContentTypes.param(ct, "protocol");
        if (protocol == null || !protocol.trim().equalsIgnoreCase("application/pgp-encrypted")) {
            return false;
        }
        List<Leaf> parts = leaves(ct, body, 2);
        return parts != null && parts.size() == 2 && versionPart(parts.get(0)) && payloadPart(parts.get(1));
    }

    private static boolean mangled(String ct, InputStream body) throws IOException, MimeException {
        List<Leaf> parts = leaves(ct, body, 3);
        return parts != null && parts.size() == 3
                && parts.get(0).type().equals("text/plain") && parts.get(0).text().isBlank()
                && versionPart(parts.get(1)) && payloadPart(parts.get(2));
    }

    private static boolean versionPart(Leaf p) {
        return p.type().equals("application/pgp-encrypted") && p.text().strip().equalsIgnoreCase("Version: 1");
    }

    private static boolean payloadPart(Leaf p) {
        return p.type().equals("application/octet-stream") && p.openPgp();
    }

    /** A leaf part as read: its media type, its text when small, and whether it is OpenPGP ciphertext. */
    private record Leaf(String type, String text, boolean openPgp) {
    }

    /**
     * The leaf parts of a multipart body at depth 1, each judged while it streams past; null if the
     * structure is anything else (nested multiparts, more than {@code max} parts, text outside the parts).
     */
    private static List<Leaf> leaves(String ct, InputStream body, int max) throws IOException, MimeException {
        MimeConfig cfg = MimeConfig.custom().setMaxHeaderCount(100).setMaxLineLen(-1).setMaxHeaderLen(64 * 1024)
                .setMaxContentLen(-1).setStrictParsing(true).build();
        MimeTokenStream ts = new MimeTokenStream(cfg);
        String root = "Content-Type: " + ct + "\r\n\r\n";
        String boundary = ContentTypes.param(ct, "boundary");
        if (boundary == null || !boundary.matches("[0-9A-Za-z'()+_,./:=?-][0-9A-Za-z'()+_,./:=? -]{0,68}[0-9A-Za-z'()+_,./:=?-]|[0-9A-Za-z'()+_,./:=?-]")) {
            return null; // RFC 2046 §5.1.1 bchars only: a malformed one is read differently by different parsers
        }
        DelimiterGuard guard = new DelimiterGuard(bounded(body), boundary);
        ts.parse(new SequenceInputStream(new ByteArrayInputStream(root.getBytes(StandardCharsets.UTF_8)), guard));
        List<Leaf> out = new ArrayList<>();
        int depth = 0;
        String partType = null;
        String partCte = null;
        for (EntityState s = ts.getState(); s != EntityState.T_END_OF_STREAM; s = ts.next()) {
            switch (s) {
                case T_START_MULTIPART -> {
                    if (++depth > 1) {
                        return null;
                    }
                }
                case T_END_MULTIPART -> depth--;
                case T_PREAMBLE, T_EPILOGUE -> {
                    if (!PREAMBLES.contains(text(ts.getInputStream(), 4096).strip().toLowerCase(Locale.ROOT))) {
                        return null;
                    }
                }
                case T_START_BODYPART -> {
                    if (out.size() == max) {
                        return null;
                    }
                    partType = null;
                    partCte = null;
                }
                case T_FIELD -> {
                    Field f = ts.getField();
                    if (depth == 1 && f.getName().equalsIgnoreCase("Content-Type")) {
                        if (partType != null) {
                            return null;
                        }
                        partType = ContentTypes.mediaType(f.getBody());
                    } else if (depth == 1 && f.getName().equalsIgnoreCase("Content-Transfer-Encoding")) {
                        if (partCte != null) {
                            return null;
                        }
                        partCte = f.getBody().trim().toLowerCase(Locale.ROOT);
                    }
                }
                case T_BODY -> {
                    if (depth != 1) {
                        return null;
                    }
                    String type = partType != null ? partType : "text/plain";
                    InputStream decoded = decode(partCte, ts.getInputStream());
                    if (decoded == null) {
                        return null;
                    }
                    if (type.equals("application/octet-stream")) {
                        out.add(new Leaf(type, "", CiphertextShape.openPgp(decoded)));
                    } else {
                        String t = text(decoded, 4096);
                        if (decoded.read() >= 0) {
                            return null; // a version or cover part is a line, not a letter
                        }
                        out.add(new Leaf(type, t, false));
                    }
                }
                default -> {
                }
            }
        }
        return guard.clean ? out : null;
    }

    /**
     * Watches every line that starts with {@code --boundary}: RFC 2046 §5.1.1 allows only white space
     * (transport padding) and an optional closing {@code --} after it. mime4j takes such a line as a
     * delimiter whatever follows; a line it would read differently from a strict parser makes the
     * structure ambiguous, and an ambiguous structure is not proof of anything.
     */
    private static final class DelimiterGuard extends java.io.FilterInputStream {
        private final byte[] delimiter;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        private boolean atLineStart = true;
        private boolean watching;
        boolean clean = true;

        DelimiterGuard(InputStream in, String boundary) {
            super(in);
            this.delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                see(b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            for (int i = 0; i < n; i++) {
                see(buf[off + i] & 0xff);
            }
            return n;
        }

        private void see(int b) {
            if (atLineStart) {
                watching = true;
                line.reset();
                atLineStart = false;
            }
            if (b == '\n') {
                if (watching) {
                    check(line.toByteArray());
                }
                atLineStart = true;
                return;
            }
            if (watching) {
                line.write(b);
                if (line.size() <= delimiter.length && delimiter[line.size() - 1] != (byte) b) {
                    watching = false; // not a delimiter line
                } else if (line.size() > delimiter.length + 256) {
                    clean = false; // a delimiter followed by a long tail
                    watching = false;
                }
            }
        }

        private void check(byte[] l) {
            if (l.length < delimiter.length) {
                return;
            }
            int i = delimiter.length;
            if (i + 1 < l.length && l[i] == '-' && l[i + 1] == '-') {
                i += 2;
            }
            for (; i < l.length; i++) {
                byte c = l[i];
                if (c != ' ' && c != '\t' && !(c == '\r' && i == l.length - 1)) {
                    clean = false;
                    return;
                }
            }
        }
    }

    private static boolean smime(String ct, String cte, InputStream body) throws IOException {
        String st = ContentTypes.param(ct, "smime-type");
        if (st != null && !st.trim().equalsIgnoreCase("enveloped-data") && !st.trim().equalsIgnoreCase("authEnveloped-data")) {
            return false;
        }
        InputStream decoded = decode(cte, bounded(body));
        return decoded != null && CiphertextShape.cms(decoded);
    }

    private static boolean inline(String cte, InputStream body) throws IOException {
        InputStream decoded = decode(cte, bounded(body));
        return decoded != null && CiphertextShape.armoredMessage(decoded);
    }

    /** The part's content under its transfer encoding; null for an encoding we do not read (then: plaintext). */
    private static InputStream decode(String cte, InputStream in) {
        String c = cte == null ? "7bit" : cte.trim().toLowerCase(Locale.ROOT);
        return switch (c) {
            case "7bit", "8bit", "binary" -> in;
            case "base64" -> new StrictBase64InputStream(in);
            default -> null;
        };
    }

    private static String text(InputStream in, int max) throws IOException {
        return new String(in.readNBytes(max), StandardCharsets.ISO_8859_1);
    }

    private static InputStream bounded(InputStream in) {
        return new BoundedInputStream(in, MAX_SCAN);
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
