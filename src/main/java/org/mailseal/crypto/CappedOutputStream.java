package org.mailseal.crypto;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Counts what is written and stops at a limit (a compression bomb). The decryptors turn the error into
 * their uniform one; {@link #exceeded()} tells the caller which it was.
 */
public final class CappedOutputStream extends FilterOutputStream {

    /** The limit was reached. */
    public static final class TooLarge extends IOException {
        public TooLarge() {
            super("decrypted message too large");
        }
    }

    private final long limit;
    private long written;

    public CappedOutputStream(OutputStream out, long limit) {
        super(out);
        this.limit = limit;
    }

    public boolean exceeded() {
        return written > limit;
    }

    @Override
    public void write(int b) throws IOException {
        if (++written > limit) {
            throw new TooLarge();
        }
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        written += len;
        if (written > limit) {
            throw new TooLarge();
        }
        out.write(b, off, len);
    }
}
