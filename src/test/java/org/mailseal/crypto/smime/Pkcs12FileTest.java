package org.mailseal.crypto.smime;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;

/**
 * The PKCS#12 export against the readers users have: openssl 3 for both profiles, GnuPG 2.2's gpgsm for
 * the legacy one, including the key-derivation bug in gpgsm that made about one legacy file in 70 fail
 * to import ("decryption failed ... possibly bad passphrase").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"openssl=openssl", "gpgsm=gpgsm"})
class Pkcs12FileTest {

    static final char[] PW = "p12 test password".toCharArray();
    @TempDir
    Path dir;
    KeyPair user;
    Certificate[] chain;

    @BeforeAll
    void keys() throws Exception {
        KeyPair ca = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
        X509Certificate caCert = CertificateAuthority.createCa(ca, "P12 Test CA", Duration.ofDays(30));
        user = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
        X509Certificate cert = CertificateAuthority.issue(caCert, ca.getPrivate(), user.getPublic(), "p12@example.com",
                Duration.ofDays(30), null, BigInteger.valueOf(42));
        chain = new Certificate[] {cert, caCert};
    }

    @Test
    void bothProfilesReadBackWithTheirAlgorithmsAndTheKey() throws Exception {
        Peers.require("openssl", "openssl");
        for (Pkcs12File.Profile profile : Pkcs12File.Profile.values()) {
            Path f = dir.resolve(profile + ".p12");
            Pkcs12File.write(f, "p12@example.com", user.getPrivate(), chain, PW, profile);
            KeyStore ks = KeyStore.getInstance("PKCS12", "SUN");
            try (var in = Files.newInputStream(f)) {
                ks.load(in, PW);
            }
            assertThat(ks.getKey("p12@example.com", PW)).isEqualTo(user.getPrivate());
            assertThat(ks.getCertificateChain("p12@example.com")).containsExactly(chain);
            Cmd.Result info = Cmd.run("openssl", "pkcs12", "-info", "-noout", "-legacy", "-in", f.toString(), "-passin", "pass:" + new String(PW));
            assertThat(info.code()).as(info.err()).isZero();
            if (profile == Pkcs12File.Profile.MODERN) {
                assertThat(info.err()).contains("MAC: sha256").contains("PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256")
                        .doesNotContain("TripleDES").doesNotContain("RC2");
            } else {
                assertThat(info.err()).contains("MAC: sha1").contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC")
                        .contains("PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC");
            }
        }
    }

    /**
     * The model of gpgsm's bug is checked against gpgsm itself: a key-bag salt the model flags is refused,
     * and every salt the export picks is imported.
     */
    @Test
    void gpgsmImportsEveryLegacyExportAndRefusesTheSaltsItsKeyDerivationMishandles() throws Exception {
        String gpgsm = Peers.require("gpgsm", "gpgsm");
        byte[] flagged;
        do {
            flagged = Pkcs12File.randomSalt();
        } while (!Pkcs12File.leadingZeroBlockInKeyDerivation(flagged, Pkcs12File.ITERATIONS, PW, 24));
        Path bad = dir.resolve("flagged.p12");
        Pkcs12File.write(bad, "p12@example.com", user.getPrivate(), chain, PW, Pkcs12File.Profile.LEGACY, flagged);
        assertThat(importInto(gpgsm, "flagged", bad).err()).doesNotContain("secret keys imported: 1").contains("decryption failed");
        for (int i = 0; i < 8; i++) {
            Path f = dir.resolve("legacy-" + i + ".p12");
            Pkcs12File.write(f, "p12@example.com", user.getPrivate(), chain, PW, Pkcs12File.Profile.LEGACY);
            Cmd.Result r = importInto(gpgsm, "ok-" + i, f);
            assertThat(r.err()).as("gpgsm --import of export " + i).contains("secret keys imported: 1");
        }
    }

    private Cmd.Result importInto(String gpgsm, String name, Path p12) throws Exception {
        Path home = Files.createDirectories(dir.resolve("gpgsm-" + name));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, new String(PW) + "\n");
        try {
            return Cmd.run(pass, Map.of(), gpgsm, "--homedir", home.toString(), "--batch", "--pinentry-mode", "loopback",
                    "--passphrase-fd", "0", "--import", p12.toString());
        } finally {
            Cmd.run("gpgconf", "--homedir", home.toString(), "--kill", "all");
        }
    }
}
