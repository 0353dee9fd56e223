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

    public StrictBase64InputStream(InputStream raw) {
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
        return decoded.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return decoded.read(b, off, len);
    }
}
