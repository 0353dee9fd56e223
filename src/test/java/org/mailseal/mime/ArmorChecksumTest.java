package org.mailseal.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.mailseal.crypto.pgp.ArmorOutputStream;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.pgp.PgpMimeEncryptor;

/**
 * The armor checksum (CRC-24, RFC 9580 §6.1) as the "already encrypted" proof reads it: a message
 * whose checksum line does not match its data is not proven ciphertext, so it is not passed untouched.
 */
class ArmorChecksumTest {

    static boolean proven(String armored) {
        try {
            return CiphertextShape.openPgp(new ByteArrayInputStream(armored.getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aWrongChecksumLineIsNotProof() throws Exception {
        var key = PgpKeys.validate(PgpKeys.publicRing(PgpKeys.generate("a@example.com", null, PgpKeys.Algo.CV25519)), null, Instant.now());
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] body = "x".repeat(200_000).getBytes(StandardCharsets.US_ASCII); // several armor chunks
        try (ArmorOutputStream armor = new ArmorOutputStream(o)) {
            PgpMimeEncryptor.encrypt(armor, "Subject: s\r\n\r\n".getBytes(StandardCharsets.US_ASCII), new ByteArrayInputStream(body),
                    key.encryptionKeys());
        }
        String armored = o.toString(StandardCharsets.US_ASCII);
        assertThat(armored).contains("\r\n=");
        assertThat(proven(armored)).isTrue();
        int eq = armored.lastIndexOf("\r\n=") + 3;
        for (char replacement : new char[] {'A', 'B'}) {
            if (armored.charAt(eq) != replacement) {
                String broken = armored.substring(0, eq) + replacement + armored.substring(eq + 1);
                assertThat(proven(broken)).as("checksum changed").isFalse();
            }
        }
        assertThat(Crc24.update(Crc24.INIT, new byte[0], 0, 0)).isEqualTo(Crc24.INIT);
    }
}
