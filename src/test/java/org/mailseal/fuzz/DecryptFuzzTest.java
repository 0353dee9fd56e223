package org.mailseal.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Order;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.SmimeDecryptor;

/** The outbound decryption entry points: any input ends in the one "decryption failed" (or "not for us"), nothing else. */
@Order(Integer.MAX_VALUE - 1)
class DecryptFuzzTest {

    static final PGPSecretKeyRing RING;
    static final SmimeDecryptor.Candidate CERT;

    static {
        try {
            RING = PgpKeys.generate("fuzz@example.com", null, PgpKeys.Algo.CV25519);
            KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.parse("rsa3072"));
            X509Certificate c = CertificateAuthority.createCa(kp, "fuzz", Duration.ofDays(1));
            CERT = new SmimeDecryptor.Candidate(c, kp.getPrivate());
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void openpgp(byte[] data) {
        try {
            PgpDecryptor.decrypt(new ByteArrayInputStream(data), List.of(PgpDecryptor.Candidate.of(RING)), id -> null, OutputStream.nullOutputStream());
        } catch (PGPException expected) {
            // the uniform failure
        }
    }

    @FuzzTest(maxDuration = "60s")
    void cms(byte[] data) {
        for (boolean auth : new boolean[] {false, true}) {
            try {
                SmimeDecryptor.decrypt(new ByteArrayInputStream(data), auth, List.of(CERT), OutputStream.nullOutputStream());
            } catch (CMSException expected) {
                // the uniform failure
            }
        }
    }
}
