package org.mailseal.mime;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Turns bare LF into CRLF (for armor written by libraries that use the platform line end). */
public final class CrlfOutputStream extends FilterOutputStream {
    private int last = -1;

    public CrlfOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (b == '\n' && last != '\r') {
            out.write('\r');
        }
        out.write(b);
        last = b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int from = off;
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n' && (i > off ? b[i - 1] : last) != '\r') {
                out.write(b, from, i - from);
                out.write('\r');
                from = i;
            }
        }
        out.write(b, from, off + len - from);
        if (len > 0) {
            last = b[off + len - 1];
        }
    }
}
