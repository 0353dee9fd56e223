package org.mailseal.crypto.pgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.junit.jupiter.api.Test;

class ArmorOutputStreamTest {

    static byte[] armor(byte[] data, int writeSize) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (ArmorOutputStream a = new ArmorOutputStream(o)) {
            for (int off = 0; off < data.length; off += writeSize) {
                if (writeSize == 1) {
                    a.write(data[off]);
                } else {
                    a.write(data, off, Math.min(writeSize, data.length - off));
                }
            }
        }
        return o.toByteArray();
    }

    @Test
    void bouncyCastleReadsItBackWithAValidChecksum() throws Exception {
        Random r = new Random(1);
        for (int size : new int[] {1, 47, 48, 49, 100, 48 * 1024, 48 * 1024 + 5, 300_001}) {
            byte[] data = new byte[size];
            r.nextBytes(data);
            for (int ws : new int[] {1, 7, 65536}) {
                byte[] armored = armor(data, ws);
                String text = new String(armored, StandardCharsets.US_ASCII);
                assertThat(text).startsWith("-----BEGIN PGP MESSAGE-----\r\n\r\n").endsWith("\r\n-----END PGP MESSAGE-----\r\n");
                assertThat(text.replace("\r\n", "")).doesNotContain("\n").doesNotContain("\r");
                assertThat(text.lines().filter(l -> !l.startsWith("-----")).allMatch(l -> l.length() <= 64)).isTrue();
                ArmoredInputStream in = new ArmoredInputStream(new ByteArrayInputStream(armored));
                assertThat(in.readAllBytes()).as("size %d write %d", size, ws).isEqualTo(data);
            }
        }
    }

    @Test
    void aDamagedChecksumIsDetected() throws Exception {
        byte[] armored = armor("hello world".getBytes(StandardCharsets.US_ASCII), 100);
        String text = new String(armored, StandardCharsets.US_ASCII);
        int eq = text.indexOf("\r\n=") + 3;
        char c = text.charAt(eq);
        String broken = text.substring(0, eq) + (c == 'A' ? 'B' : 'A') + text.substring(eq + 1);
        assertThatThrownBy(() -> new ArmoredInputStream(new ByteArrayInputStream(broken.getBytes(StandardCharsets.US_ASCII))).readAllBytes())
                .isInstanceOf(java.io.IOException.class);
    }

    /** The bulk encoder writes exactly what a line-at-a-time encoder writes (RFC 9580 §6.2, CRC-24 of §6.1). */
    @Test
    void byteForByteTheLineByLineArmor() throws Exception {
        Random r = new Random(2);
        for (int size : new int[] {0, 1, 48, 95, 48 * 1024, 48 * 1024 + 1, 3 * 48 * 1024 + 17}) {
            byte[] data = new byte[size];
            r.nextBytes(data);
            StringBuilder expected = new StringBuilder("-----BEGIN PGP MESSAGE-----\r\n\r\n");
            for (int off = 0; off < size; off += 48) {
                expected.append(java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(data, off, Math.min(size, off + 48))))
                        .append("\r\n");
            }
            int crc = 0xB704CE;
            for (byte b : data) {
                crc ^= (b & 0xFF) << 16;
                for (int i = 0; i < 8; i++) {
                    crc <<= 1;
                    if ((crc & 0x1000000) != 0) {
                        crc ^= 0x1864CFB;
                    }
                }
            }
            byte[] c = {(byte) (crc >> 16), (byte) (crc >> 8), (byte) crc};
            expected.append('=').append(java.util.Base64.getEncoder().encodeToString(c)).append("\r\n-----END PGP MESSAGE-----\r\n");
            for (int ws : new int[] {1, 4096, 1 << 20}) {
                assertThat(new String(armor(data, ws), StandardCharsets.US_ASCII)).as("size %d write %d", size, ws).isEqualTo(expected.toString());
            }
        }
    }
}
