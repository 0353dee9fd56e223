package org.mailseal.mailauth.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The SHA-256 of a canonicalized body (RFC 6376 §3.7), streamed; with {@code limit} (the {@code l=} tag)
 * only that many canonical bytes are hashed, and the full canonical length is kept so the verifier can
 * tell whether content was left unsigned.
 */
public final class BodyHash extends OutputStream {

    private final MessageDigest digest;
    private final long limit;
    private long length;
    private final Canonicalization.BodyCanonicalizer canon;
    private final byte[] buf = new byte[8192];
    private int n;

    public BodyHash(Canonicalization c, long limit) {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        this.limit = limit;
        this.canon = c.body(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                if (length++ < BodyHash.this.limit) {
                    buf[n++] = (byte) b;
                    if (n == buf.length) {
                        flushBuf();
                    }
                }
            }
        });
    }

    private void flushBuf() {
        digest.update(buf, 0, n);
        n = 0;
    }

    /** The hash of {@code body} canonicalized with {@code c}. */
    public static byte[] of(InputStream body, Canonicalization c) throws IOException {
        BodyHash h = new BodyHash(c, Long.MAX_VALUE);
        body.transferTo(h);
        return h.finish();
    }

    @Override
    public void write(int b) throws IOException {
        canon.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        canon.write(b, off, len);
    }

    /** Ends the body and returns its hash. */
    public byte[] finish() throws IOException {
        canon.finish();
        flushBuf();
        return digest.digest();
    }

    /** The whole canonical body's length, after {@link #finish}. */
    public long canonicalLength() {
        return length;
    }
}
