package org.mailseal.crypto.pgp;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * ASCII armor for an OpenPGP message (RFC 9580 §6.2), streaming: header line, blank line, base64 in
 * 64-column lines with CRLF (mail line ends), the CRC-24 checksum line (§6.1, for older readers such as
 * GnuPG 2.2) and the tail line. Encodes in bulk with the JDK's base64 encoder.
 */
public final class ArmorOutputStream extends OutputStream {

    private static final int LINE = 48;                 // input bytes per 64-column line
    private static final int CHUNK = LINE * 1024;
    /**
     * CRC-24 (RFC 9580 §6.1.1, generator 0x864CFB, MSB first) by table, six bytes a step: {@code CRC[k][v]}
     * is the register after byte {@code v} and then {@code k} zero bytes, so six table lookups replace six
     * dependent steps ("slicing", as zlib does for CRC-32).
     */
    private static final int[][] CRC = new int[6][256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i << 16;
            for (int j = 0; j < 8; j++) {
                c <<= 1;
                if ((c & 0x1000000) != 0) {
                    c ^= 0x1864CFB;
                }
            }
            CRC[0][i] = c & 0xFFFFFF;
        }
        for (int k = 1; k < CRC.length; k++) {
            for (int i = 0; i < 256; i++) {
                int prev = CRC[k - 1][i];
                CRC[k][i] = ((prev << 8) ^ CRC[0][(prev >> 16) & 0xFF]) & 0xFFFFFF;
            }
        }
    }

    private static int crc24(int crc, byte[] b, int from, int to) {
        int[] t0 = CRC[0];
        int[] t1 = CRC[1];
        int[] t2 = CRC[2];
        int[] t3 = CRC[3];
        int[] t4 = CRC[4];
        int[] t5 = CRC[5];
        int i = from;
        for (; i + 6 <= to; i += 6) {
            int x = crc ^ ((b[i] & 0xFF) << 16 | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF));
            crc = t5[(x >> 16) & 0xFF] ^ t4[(x >> 8) & 0xFF] ^ t3[x & 0xFF]
                    ^ t2[b[i + 3] & 0xFF] ^ t1[b[i + 4] & 0xFF] ^ t0[b[i + 5] & 0xFF];
        }
        for (; i < to; i++) {
            crc = ((crc << 8) ^ t0[((crc >> 16) ^ b[i]) & 0xFF]) & 0xFFFFFF;
        }
        return crc;
    }

    private final OutputStream out;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final Base64.Encoder LINES = Base64.getMimeEncoder(64, CRLF);
    private final byte[] buf = new byte[CHUNK];
    private byte[] encoded = new byte[0];
    private int len;
    private int crc = 0xB704CE;
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
        crc = crc24(crc, buf, 0, whole);
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
