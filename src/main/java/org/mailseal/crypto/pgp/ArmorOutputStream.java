package org.mailseal.crypto.pgp;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.mailseal.mime.Crc24;

/**
 * ASCII armor for an OpenPGP message (RFC 9580 §6.2), streaming: header line, blank line, base64 in
 * 64-column lines with CRLF (mail line ends), the CRC-24 checksum line (§6.1, for older readers such as
 * GnuPG 2.2) and the tail line. Encodes in bulk with the JDK's base64 encoder.
 */
public final class ArmorOutputStream extends OutputStream {

    private static final int LINE = 48;                 // input bytes per 64-column line
    private static final int CHUNK = LINE * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final Base64.Encoder LINES = Base64.getMimeEncoder(64, CRLF);

    private final OutputStream out;
    private final byte[] buf = new byte[CHUNK];
    private byte[] encoded = new byte[0];
    private int len;
    private int crc = Crc24.INIT;
    private boolean closed;

    public ArmorOutputStream(OutputStream out) throws IOException {
        this.out = out;
        out.write("-----BEGIN PGP MESSAGE-----\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void write(int b) throws IOException {
        if (len == buf.length) {
            flushLines(false);
        }
        buf[len++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        while (n > 0) {
            if (len == buf.length) {
                flushLines(false);
            }
            int take = Math.min(n, buf.length - len);
            System.arraycopy(b, off, buf, len, take);
            len += take;
            off += take;
            n -= take;
        }
    }

    // Encodes whole lines from the buffer (all of it when last), keeping any partial line. The MIME encoder
    // writes the 64-column lines with CRLF between them in one pass; a full buffer is encoded in place.
    private void flushLines(boolean last) throws IOException {
        int whole = last ? len : len - len % LINE;
        crc = Crc24.update(crc, buf, 0, whole);
        if (whole > 0) {
            int encodedLength = (whole + 2) / 3 * 4 + ((whole + LINE - 1) / LINE - 1) * 2;
            if (encoded.length < encodedLength) {
                encoded = new byte[encodedLength];
            }
            int n = LINES.encode(whole == buf.length ? buf : java.util.Arrays.copyOf(buf, whole), encoded);
            out.write(encoded, 0, n);
            out.write(CRLF);
        }
        System.arraycopy(buf, whole, buf, 0, len - whole);
        len -= whole;
    }

    /** Writes the rest, the checksum and the tail; does not close the underlying stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        flushLines(true);
        byte[] c = {(byte) (crc >> 16), (byte) (crc >> 8), (byte) crc};
        out.write(("=" + Base64.getEncoder().encodeToString(c) + "\r\n-----END PGP MESSAGE-----\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
