package org.mailseal.mime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Streams one body part of a multipart body (RFC 2046 §5.1.1) without parsing the rest: skips to the
 * {@code n}-th part, reads its header, and returns its body up to the next delimiter line. Lines are
 * bounded ({@link #MAX_LINE}); this is meant for parts whose content is line-oriented (armor, base64).
 */
public final class MimeParts {

    /** Longest line accepted; a longer one makes the part malformed. */
    public static final int MAX_LINE = 1 << 20;

    private MimeParts() {
    }

    /** A part: its header fields and a stream of its body (CRLF before the delimiter excluded). */
    public record Part(RawHeader header, InputStream body) {
    }

    /** Thrown when the multipart structure is not what it must be. */
    public static final class MalformedException extends IOException {
        public MalformedException(String m) {
            super(m);
        }
    }

    /** Counts the parts of a multipart body with {@code boundary}; -1 if the close delimiter is missing. */
    public static int count(InputStream body, String boundary) throws IOException {
        int n = 0;
        for (byte[] line; (line = readLine(body)) != null; ) {
            String kind = delimiter(line, boundary);
            if (kind == null) {
                continue;
            }
            if (kind.equals("close")) {
                return n;
            }
            n++;
        }
        return -1;
    }

    /** Opens part {@code n} (1-based). */
    public static Part open(InputStream body, String boundary, int n) throws IOException {
        skipTo(body, boundary, n);
        RawHeader h = RawHeader.read(body, 64 * 1024);
        return new Part(h, new PartBody(body, boundary));
    }

    // Reads up to and including the delimiter line that opens part n.
    private static void skipTo(InputStream body, String boundary, int n) throws IOException {
        int seen = 0;
        for (byte[] line; (line = readLine(body)) != null; ) {
            String kind = delimiter(line, boundary);
            if (kind == null) {
                continue;
            }
            if (kind.equals("close")) {
                break;
            }
            if (++seen == n) {
                return;
            }
        }
        throw new MalformedException("part " + n + " not found");
    }

    /** Part {@code n} exactly as it is, header and body (the signed bytes of a multipart/signed, RFC 1847 §2.1). */
    public static InputStream openRaw(InputStream body, String boundary, int n) throws IOException {
        skipTo(body, boundary, n);
        return new PartBody(body, boundary);
    }

    // RFC 2046 §5.1.1: "--" boundary, optional trailing whitespace; "--" boundary "--" closes.
    static String delimiter(byte[] line, String boundary) {
        String s = new String(line, StandardCharsets.ISO_8859_1).stripTrailing();
        if (s.equals("--" + boundary)) {
            return "open";
        }
        if (s.equals("--" + boundary + "--")) {
            return "close";
        }
        return null;
    }

    /** One line including its line end, or null at end of stream. */
    static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (c == '\n') {
                break;
            }
            if (b.size() > MAX_LINE) {
                throw new MalformedException("line longer than " + MAX_LINE + " bytes");
            }
        }
        return b.size() == 0 ? null : b.toByteArray();
    }

    /** The body of one part, line by line, ending before the next delimiter. */
    private static final class PartBody extends InputStream {
        private final InputStream in;
        private final String boundary;
        private byte[] pending;
        private int pos;
        private boolean done;
        private byte[] held; // the line end of the previous line: part of the delimiter if the next line is one

        PartBody(InputStream in, String boundary) {
            this.in = in;
            this.boundary = boundary;
        }

        private boolean fill() throws IOException {
            while (!done && (pending == null || pos >= pending.length)) {
                byte[] line = readLine(in);
                if (line == null) {
                    throw new MalformedException("multipart body ends inside a part");
                }
                if (delimiter(line, boundary) != null) {
                    done = true;
                    return false;
                }
                ByteArrayOutputStream b = new ByteArrayOutputStream(line.length + 2);
                if (held != null) {
                    b.writeBytes(held);
                }
                int end = line.length;
                int eol = 0;
                if (end > 0 && line[end - 1] == '\n') {
                    eol = end > 1 && line[end - 2] == '\r' ? 2 : 1;
                }
                b.write(line, 0, end - eol);
                held = java.util.Arrays.copyOfRange(line, end - eol, end);
                pending = b.toByteArray();
                pos = 0;
            }
            return !done;
        }

        @Override
        public int read() throws IOException {
            if (!fill()) {
                return -1;
            }
            return pending[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, pending.length - pos);
            System.arraycopy(pending, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
