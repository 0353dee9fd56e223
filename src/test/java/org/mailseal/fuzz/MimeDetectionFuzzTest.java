package org.mailseal.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Order;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.InlinePgp;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;

/** "Already encrypted?": header reading, detection, multipart parts, inline armor, header protection. IOException only. */
@Order(Integer.MAX_VALUE - 1)
class MimeDetectionFuzzTest {

    /**
     * The detector's promise: whenever it says "encrypted", Bouncy Castle's own parsers read the bytes as
     * an encrypted message too (PGP: an encrypted-data list; S/MIME: EnvelopedData or AuthEnvelopedData).
     */
    @FuzzTest(maxDuration = "60s")
    void encryptedMeansCiphertext(byte[] data) throws Exception {
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(data));
        RawHeader h;
        EncryptionDetector.Kind k;
        try {
            h = RawHeader.read(in, 1 << 20);
            k = EncryptionDetector.detect(h, in);
        } catch (IOException expected) {
            return;
        }
        if (k != EncryptionDetector.Kind.NONE) {
            org.assertj.core.api.Assertions.assertThat(ParsesAsCiphertext.check(data, k)).as("detected %s", k).isTrue();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void detection(byte[] data) throws IOException {
        try {
            BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(data));
            RawHeader h = RawHeader.read(in, 1 << 20);
            EncryptionDetector.detect(h, in);
            HeaderProtection.protect(h, "[...]", java.util.List.of());
            String ct = h.value("Content-Type");
            String boundary = ct != null ? org.mailseal.mime.ContentTypes.param(ct, "boundary") : null;
            if (boundary != null) {
                BufferedInputStream again = new BufferedInputStream(new ByteArrayInputStream(data));
                RawHeader.read(again, 1 << 20);
                MimeParts.count(again, boundary);
            }
        } catch (IOException expected) {
            // too large, malformed
        }
        Path f = Files.createTempFile("fuzz", ".eml");
        try {
            Files.write(f, data);
            InlinePgp.isWholeBody(f);
        } catch (IOException expected) {
            // too large
        } finally {
            Files.delete(f);
        }
    }
}
