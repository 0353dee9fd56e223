package org.mailseal.mime;

/** The OpenPGP armor checksum, CRC-24 (RFC 9580 §6.1), for writing armor and for checking it. */
public final class Crc24 {

    /** The register's start value. */
    public static final int INIT = 0xB704CE;

    private Crc24() {
    }

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

    /** {@code crc} continued over {@code b[from..to)}. */
    public static int update(int crc, byte[] b, int from, int to) {
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
}
