package org.mailseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Peers;

/** {@code certs import} takes PEM, DER and PKCS#7 bundles (made by openssl), and refuses what it must. */
class CertImportTest {

    @TempDir
    Path dir;

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    @Test
    void pemDerAndPkcs7() throws Exception {
        String openssl = Peers.require("openssl", "openssl");
        KeyPair caKp = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
        X509Certificate ca = CertificateAuthority.createCa(caKp, "Import CA", Duration.ofDays(30));
        Path caPem = dir.resolve("ca.pem");
        Files.writeString(caPem, pem(ca));
        Path cfg = dir.resolve("m.yml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nsmime: {trustAnchors: [\"" + caPem + "\"]}\n");
        String[] who = {"pem", "der", "p7"};
        for (String w : who) {
            X509Certificate c = CertificateAuthority.issue(ca, caKp.getPrivate(), CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072).getPublic(),
                    w + "@example.com", Duration.ofDays(10), null, CertificateAuthority.serial());
            Files.writeString(dir.resolve(w + ".pem"), pem(c));
        }
        Cmd.run(openssl, "x509", "-in", dir.resolve("der.pem").toString(), "-outform", "DER", "-out", dir.resolve("der.der").toString()).ok("der");
        Cmd.run(openssl, "crl2pkcs7", "-nocrl", "-certfile", dir.resolve("p7.pem").toString(), "-certfile", caPem.toString(),
                "-outform", "DER", "-out", dir.resolve("bundle.p7b").toString()).ok("p7b");
        for (String f : new String[] {"pem.pem", "der.der", "bundle.p7b"}) {
            CliTest.Run r = CliTest.run("", "certs", "import", dir.resolve(f).toString(), "-c", cfg.toString());
            assertThat(r.code()).as(f + ": " + r.err()).isZero();
            assertThat(r.out()).contains("1 imported, 0 refused");
        }
        assertThat(CliTest.run("", "certs", "list", "-c", cfg.toString()).out().lines()).hasSize(3);
        // A certificate for an address, from an untrusted CA, is refused with the reason.
        KeyPair other = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
        X509Certificate otherCa = CertificateAuthority.createCa(other, "Other CA", Duration.ofDays(30));
        Path stranger = dir.resolve("stranger.pem");
        Files.writeString(stranger, pem(CertificateAuthority.issue(otherCa, other.getPrivate(),
                CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072).getPublic(), "x@example.com", Duration.ofDays(5), null, CertificateAuthority.serial())));
        CliTest.Run bad = CliTest.run("", "certs", "import", stranger.toString(), "-c", cfg.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("refused", "no valid chain");
        // PKCS#12 without its password is named as such.
        CliTest.Run garbage = CliTest.run("", "certs", "import", caPem.toString().replace("ca.pem", "nonexistent"), "-c", cfg.toString());
        assertThat(garbage.code()).isEqualTo(1);
    }
}
