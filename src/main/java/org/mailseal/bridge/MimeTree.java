package org.mailseal.bridge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailseal.mime.ContentTypes;
import org.mailseal.mime.RawHeader;

/**
 * A message's MIME structure as byte ranges of the message itself (RFC 3501 §6.4.5, §7.4.2): for each
 * entity, where its header and body begin and where it ends, so that every section a client fetches is a
 * slice of the very bytes served, and BODYSTRUCTURE, ENVELOPE and sizes agree with them.
 */
final class MimeTree {

    /** One entity: header {@code [start, bodyStart)}, body {@code [bodyStart, end)}. */
    record Entity(int start, int bodyStart, int end, RawHeader header, List<Entity> parts, Entity message) {
        String mediaType() {
            String ct = header.value("Content-Type");
            return ct == null ? "text/plain" : ContentTypes.mediaType(ct);
        }
    }

    private static final int MAX_DEPTH = 20;

    private MimeTree() {
    }

    static Entity parse(byte[] m) {
        return entity(m, 0, m.length, 0, "text/plain");
    }

    private static Entity entity(byte[] m, int start, int end, int depth, String defaultType) {
        RawHeader h;
        int bodyStart;
        try {
            CountingIn in = new CountingIn(m, start, end);
            h = RawHeader.read(in, end - start + 1);
            bodyStart = start + in.count;
        } catch (IOException e) {
            h = RawHeader.of(List.of(), false);
            bodyStart = start;
        }
        if (h.value("Content-Type") == null && !defaultType.equals("text/plain")) {
            // RFC 2046 §5.1.5: in multipart/digest the default is message/rfc822
            h = RawHeader.of(withType(h, defaultType), h.hasBody());
        }
        String ct = h.value("Content-Type");
        String type = ct == null ? "text/plain" : ContentTypes.mediaType(ct);
        List<Entity> parts = List.of();
        Entity inner = null;
        if (depth < MAX_DEPTH && type.startsWith("multipart/")) {
            String boundary = ContentTypes.param(ct, "boundary");
            if (boundary != null) {
                parts = split(m, bodyStart, end, boundary, depth, type.equals("multipart/digest") ? "message/rfc822" : "text/plain");
            }
        } else if (depth < MAX_DEPTH && type.equals("message/rfc822")) {
            inner = entity(m, bodyStart, end, depth + 1, "text/plain");
        }
        return new Entity(start, bodyStart, end, h, parts, inner);
    }

    private static List<RawHeader.Field> withType(RawHeader h, String type) {
        List<RawHeader.Field> f = new ArrayList<>(h.fields());
        f.add(new RawHeader.Field("Content-Type", ("Content-Type: " + type + "\r\n").getBytes(StandardCharsets.US_ASCII)));
        return f;
    }

    // RFC 2046 §5.1.1: a delimiter is CRLF "--" boundary at a line start; the CRLF before it belongs to it.
    private static List<Entity> split(byte[] m, int from, int end, String boundary, int depth, String defaultType) {
        byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<Entity> parts = new ArrayList<>();
        int partStart = -1;
        int i = from;
        while (i < end) {
            int lineEnd = i;
            while (lineEnd < end && m[lineEnd] != '\n') {
                lineEnd++;
            }
            if (startsWith(m, i, lineEnd, delim)) {
                boolean close = startsWith(m, i + delim.length, lineEnd, "--".getBytes(StandardCharsets.US_ASCII));
                if (partStart >= 0) {
                    int partEnd = i;
                    if (partEnd > partStart && m[partEnd - 1] == '\n') {
                        partEnd--;
                        if (partEnd > partStart && m[partEnd - 1] == '\r') {
                            partEnd--;
                        }
                    }
                    parts.add(entity(m, partStart, Math.max(partStart, partEnd), depth + 1, defaultType));
                }
                if (close) {
                    return parts;
                }
                partStart = Math.min(end, lineEnd + 1);
            }
            i = lineEnd + 1;
        }
        if (partStart >= 0 && partStart < end) {
            parts.add(entity(m, partStart, end, depth + 1, defaultType)); // no closing delimiter: up to the end
        }
        return parts;
    }

    private static boolean startsWith(byte[] m, int at, int limit, byte[] p) {
        if (limit - at < p.length) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            if (m[at + k] != p[k]) {
                return false;
            }
        }
        return true;
    }

    /** Counts what RawHeader.read consumed. */
    private static final class CountingIn extends ByteArrayInputStream {
        int count;

        CountingIn(byte[] b, int off, int end) {
            super(b, off, end - off);
        }

        @Override
        public synchronized int read() {
            int r = super.read();
            if (r >= 0) {
                count++;
            }
            return r;
        }
    }

    // ---- IMAP renderings ----

    /** RFC 3501 §7.4.2 ENVELOPE of the message whose header is {@code h}. */
    static String envelope(RawHeader h) {
        String from = addresses(h.value("From"));
        String sender = h.value("Sender") != null ? addresses(h.value("Sender")) : from;
        String replyTo = h.value("Reply-To") != null ? addresses(h.value("Reply-To")) : from;
        return "(" + nstring(unfold(h.value("Date"))) + " " + nstring(unfold(h.value("Subject"))) + " " + from + " " + sender + " " + replyTo + " "
                + addresses(h.value("To")) + " " + addresses(h.value("Cc")) + " " + addresses(h.value("Bcc")) + " "
                + nstring(unfold(h.value("In-Reply-To"))) + " " + nstring(unfold(h.value("Message-ID"))) + ")";
    }

    private static String addresses(String value) {
        if (value == null || value.isBlank()) {
            return "NIL";
        }
        jakarta.mail.internet.InternetAddress[] as;
        try {
            as = jakarta.mail.internet.InternetAddress.parseHeader(unfold(value), false);
        } catch (jakarta.mail.internet.AddressException e) {
            return "NIL";
        }
        if (as.length == 0) {
            return "NIL";
        }
        StringBuilder b = new StringBuilder("(");
        for (jakarta.mail.internet.InternetAddress a : as) {
            String addr = a.getAddress() == null ? "" : a.getAddress();
            int at = addr.lastIndexOf('@');
            String personal = a.getPersonal();
            b.append('(').append(nstring(personal == null ? null : encodedPersonal(a))).append(" NIL ")
                    .append(nstring(at < 0 ? addr : addr.substring(0, at))).append(' ')
                    .append(nstring(at < 0 ? null : addr.substring(at + 1))).append(')');
        }
        return b.append(')').toString();
    }

    // the display name as it stood in the header (still RFC 2047 encoded where it was), as IMAP servers give it
    private static String encodedPersonal(jakarta.mail.internet.InternetAddress a) {
        String s = a.toString();
        int lt = s.lastIndexOf('<');
        if (lt <= 0) {
            return a.getPersonal();
        }
        String p = s.substring(0, lt).strip();
        if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
            p = p.substring(1, p.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return p;
    }

    static String unfold(String v) {
        return v == null ? null : v.replaceAll("\r?\n[ \t]", " ").strip();
    }

    /** An IMAP nstring: NIL, a quoted string, or a literal when it holds CR, LF, or 8-bit bytes. */
    static String nstring(String s) {
        if (s == null) {
            return "NIL";
        }
        boolean literal = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c > 0x7e || c == 0) {
                literal = true;
                break;
            }
        }
        if (literal) {
            // header values are read as UTF-8 and the session writes its responses in UTF-8: the same bytes again
            return "{" + s.getBytes(StandardCharsets.UTF_8).length + "}\r\n" + s;
        }
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** RFC 3501 §7.4.2 BODYSTRUCTURE (with the extension data) of {@code e} within {@code m}. */
    static String bodyStructure(byte[] m, Entity e) {
        return structure(m, e, true);
    }

    /** BODY: the same without the extension data. */
    static String body(byte[] m, Entity e) {
        return structure(m, e, false);
    }

    private static String structure(byte[] m, Entity e, boolean ext) {
        String type = e.mediaType();
        String ct = e.header().value("Content-Type");
        int slash = type.indexOf('/');
        String major = slash > 0 ? type.substring(0, slash) : type;
        String minor = slash > 0 ? type.substring(slash + 1) : "";
        if (major.equals("multipart")) {
            StringBuilder b = new StringBuilder("(");
            for (Entity p : e.parts()) {
                b.append(structure(m, p, ext));
            }
            if (e.parts().isEmpty()) {
                b.append("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)");
            }
            b.append(' ').append(nstring(minor.toUpperCase(Locale.ROOT)));
            if (ext) {
                b.append(' ').append(params(ct)).append(' ').append(disposition(e.header())).append(' ')
                        .append(nstring(unfold(e.header().value("Content-Language")))).append(' ')
                        .append(nstring(unfold(e.header().value("Content-Location"))));
            }
            return b.append(')').toString();
        }
        String cte = e.header().value("Content-Transfer-Encoding");
        int size = e.end() - e.bodyStart();
        StringBuilder b = new StringBuilder("(");
        b.append(nstring(major.toUpperCase(Locale.ROOT))).append(' ').append(nstring(minor.toUpperCase(Locale.ROOT))).append(' ')
                .append(major.equals("text") ? textParams(ct) : params(ct)).append(' ')
                .append(nstring(unfold(e.header().value("Content-ID")))).append(' ')
                .append(nstring(unfold(e.header().value("Content-Description")))).append(' ')
                .append(nstring(cte == null ? "7BIT" : cte.strip().toUpperCase(Locale.ROOT))).append(' ').append(size);
        if (type.equals("message/rfc822") && e.message() != null) {
            b.append(' ').append(envelope(e.message().header())).append(' ').append(structure(m, e.message(), ext)).append(' ')
                    .append(lines(m, e.bodyStart(), e.end()));
        } else if (major.equals("text")) {
            b.append(' ').append(lines(m, e.bodyStart(), e.end()));
        }
        if (ext) {
            b.append(" NIL ").append(disposition(e.header())).append(' ').append(nstring(unfold(e.header().value("Content-Language"))))
                    .append(' ').append(nstring(unfold(e.header().value("Content-Location"))));
        }
        return b.append(')').toString();
    }

    private static int lines(byte[] m, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (m[i] == '\n') {
                n++;
            }
        }
        return n; // line ends counted, as Dovecot and Cyrus do: a last line without one is not counted
    }

    private static String params(String headerValue) {
        if (headerValue == null) {
            return "NIL";
        }
        List<String[]> ps = ContentParams.parse(headerValue);
        if (ps.isEmpty()) {
            return "NIL";
        }
        StringBuilder b = new StringBuilder("(");
        for (String[] p : ps) {
            if (b.length() > 1) {
                b.append(' ');
            }
            b.append(nstring(p[0].toUpperCase(Locale.ROOT))).append(' ').append(nstring(p[1]));
        }
        return b.append(')').toString();
    }

    // RFC 2045 §5.2: a text part without a charset is us-ascii; servers (Dovecot) say so in BODYSTRUCTURE
    private static String textParams(String ct) {
        if (ct == null) {
            return "(\"CHARSET\" \"us-ascii\")";
        }
        boolean hasCharset = ContentParams.parse(ct).stream().anyMatch(p -> p[0].equalsIgnoreCase("charset"));
        String ps = params(ct);
        if (hasCharset) {
            return ps;
        }
        return ps.equals("NIL") ? "(\"CHARSET\" \"us-ascii\")" : ps.substring(0, ps.length() - 1) + " \"CHARSET\" \"us-ascii\")";
    }

    private static String disposition(RawHeader h) {
        String d = h.value("Content-Disposition");
        if (d == null) {
            return "NIL";
        }
        String v = unfold(d);
        int semi = v.indexOf(';');
        String kind = (semi < 0 ? v : v.substring(0, semi)).strip();
        return "(" + nstring(kind.toUpperCase(Locale.ROOT)) + " " + params(v) + ")";
    }
}
