package org.mailseal.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.Lookalikes;

/** The detector says "encrypted" only where the bytes prove it (unit level: no gateway). */
class EncryptionDetectorTest {

    static EncryptionDetector.Kind detect(byte[] msg) throws Exception {
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(msg));
        return EncryptionDetector.detect(RawHeader.read(in, 1 << 20), in);
    }

    @Test
    void genuineCiphertextFromGpgAndOpensslIsRecognised() throws Exception {
        Map<String, EncryptionDetector.Kind> got = new LinkedHashMap<>();
        for (Corpus.Message m : Corpus.load("passthrough")) {
            got.put(m.name(), detect(m.bytes()));
        }
        assertThat(got).containsEntry("01-pgp-mime.eml", EncryptionDetector.Kind.PGP_MIME)
                .containsEntry("02-inline-pgp.eml", EncryptionDetector.Kind.PGP_INLINE)
                .containsEntry("03-smime-enveloped.eml", EncryptionDetector.Kind.SMIME)
                .containsEntry("04-exchange-mangled.eml", EncryptionDetector.Kind.PGP_MIME_MANGLED)
                .containsEntry("05-smime-authenveloped.eml", EncryptionDetector.Kind.SMIME);
    }

    @Test
    void everyLookalikeIsPlaintext() throws Exception {
        Map<String, EncryptionDetector.Kind> wrong = new LinkedHashMap<>();
        var cases = Lookalikes.all();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
        for (Lookalikes.Case c : cases) {
            EncryptionDetector.Kind k = detect(c.bytes());
            if (k != EncryptionDetector.Kind.NONE) {
                wrong.put(c.name(), k);
            }
        }
        assertThat(wrong).as("lookalikes taken for ciphertext").isEmpty();
    }

    @Test
    void ordinaryMailIsPlaintext() throws Exception {
        for (Corpus.Message m : Corpus.load("encrypt")) {
            assertThat(detect(m.bytes())).as(m.name()).isEqualTo(EncryptionDetector.Kind.NONE);
        }
    }
}
