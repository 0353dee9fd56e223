package org.mailseal.mailauth.dkim;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;

/** The two canonicalization algorithms (RFC 6376 §3.4), for a header field and for the body. */
public enum Canonicalization {
    SIMPLE, RELAXED;

    public static Canonicalization of(String s) throws DkimException {
        if (s.equalsIgnoreCase("simple")) {
            return SIMPLE;
        }
        if (s.equalsIgnoreCase("relaxed")) {
            return RELAXED;
        }
        throw new DkimException("unknown canonicalization " + s);
    }

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * One header field, given as its raw bytes (name, colon, value with folding, final CRLF). Simple
     * (§3.4.1) is the field unchanged; relaxed (§3.4.2): name lower-cased, unfolded, runs of white space
     * made one space, white space at the end of the value and around the colon removed, then CRLF.
     */
    public byte[] header(byte[] raw) {
        if (this == SIMPLE) {
            return raw;
        }
        String s = new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1);
        int colon = s.indexOf(':');
        String name = s.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = s.substring(colon + 1).replaceAll("\r?\n", "").replaceAll("[ \t]+", " ").strip();
        return (name + ":" + value + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** A stream that canonicalizes the body written to it (§3.4.3, §3.4.4) into {@code out}. */
    public BodyCanonicalizer body(OutputStream out) {
        return new BodyCanonicalizer(this == RELAXED, out);
    }

    /**
     * The body canonicalizer, streaming: trailing empty lines are held back until something follows them,
     * so nothing but a count is buffered. Lines end at CRLF.
     */
    public static final class BodyCanonicalizer extends OutputStream {
        private final boolean relaxed;
        private final OutputStream out;
        private long pendingCrlf;
        private boolean pendingSpace;
        private boolean cr;
        private boolean any;

        BodyCanonicalizer(boolean relaxed, OutputStream out) {
            this.relaxed = relaxed;
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            if (cr) {
                cr = false;
                if (b == '\n') {
                    pendingSpace = false; // relaxed: white space at a line's end goes
                    pendingCrlf++;
                    return;
                }
                content('\r');
            }
            if (b == '\r') {
                cr = true;
            } else if (relaxed && (b == ' ' || b == '\t')) {
                pendingSpace = true;
            } else {
                content(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        private void content(int b) throws IOException {
            for (; pendingCrlf > 0; pendingCrlf--) {
                out.write('\r');
                out.write('\n');
            }
            if (pendingSpace) {
                out.write(' ');
                pendingSpace = false;
            }
            out.write(b);
            any = true;
        }

        /**
         * Ends the body: a last line without CRLF gets one; trailing empty lines are dropped. An empty body
         * is CRLF for simple (§3.4.3) and nothing for relaxed (§3.4.4).
         */
        public void finish() throws IOException {
            if (cr) {
                cr = false;
                content('\r');
            }
            pendingSpace = false;
            if (any || !relaxed) {
                out.write('\r');
                out.write('\n');
            }
            pendingCrlf = 0;
        }
    }
}
