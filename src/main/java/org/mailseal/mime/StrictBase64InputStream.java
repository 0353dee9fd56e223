package org.mailseal.mime;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;

/**
 * Base64 content (RFC 2045 §6.8) decoded strictly: any octet outside the base64 alphabet, '=' and line
 * breaks or blanks is an error, where the JDK's MIME decoder would silently skip it (and so let text
 * hide between base64 lines of a part that is checked as ciphertext).
 */
public final class StrictBase64InputStream extends InputStream {

    private final InputStream decoded;
    private final InputStream raw;
    private boolean ended;

    public StrictBase64InputStream(InputStream raw) {
        this.raw = raw;
        this.decoded = Base64.getMimeDecoder().wrap(new FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    check(b);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                for (int i = 0; i < n; i++) {
                    check(b[off + i] & 0xff);
                }
                return n;
            }
        });
    }

    private static void check(int c) throws IOException {
        boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='
                || c == '\r' || c == '\n' || c == ' ' || c == '\t';
        if (!ok) {
            throw new IOException("not base64");
        }
    }

    @Override
    public int read() throws IOException {
        return atEnd(decoded.read());
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return atEnd(decoded.read(b, off, len));
    }

    // The JDK's decoder stops at the padding and leaves the rest unread: after it, only line breaks and blanks.
    private int atEnd(int n) throws IOException {
        if (n < 0 && !ended) {
            ended = true;
            for (int c = raw.read(); c >= 0; c = raw.read()) {
                if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
                    throw new IOException("data after the base64 padding");
                }
            }
        }
        return n;
    }
}
