package org.mailseal.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.generators.X25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.X25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.cli.Main;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Peers;

/** Keys that must be refused, with the reason and fingerprint, and bulk import. */
class KeyHandlingTest {

    @TempDir
    Path dir;

    /** A key made with Bouncy Castle, with the flaw under test. */
    static PGPPublicKeyRing key(String uid, Date created, long expirySeconds, int selfSigHash, boolean withEncryptionSubkey) throws Exception {
        java.security.SecureRandom r = new java.security.SecureRandom();
        Ed25519KeyPairGenerator eg = new Ed25519KeyPairGenerator();
        eg.init(new Ed25519KeyGenerationParameters(r));
        PGPKeyPair primary = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY, eg.generateKeyPair(), created);
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        h.setSignatureCreationTime(false, created);
        if (expirySeconds > 0) {
            h.setKeyExpirationTime(true, expirySeconds);
        }
        PGPKeyRingGenerator g = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, uid,
                new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), h.generate(), null,
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, selfSigHash), null);
        if (withEncryptionSubkey) {
            X25519KeyPairGenerator xg = new X25519KeyPairGenerator();
            xg.init(new X25519KeyGenerationParameters(r));
            PGPSignatureSubpacketGenerator sh = new PGPSignatureSubpacketGenerator();
            sh.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
            sh.setSignatureCreationTime(false, created);
            g.addSubKey(new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.ECDH, xg.generateKeyPair(), created), sh.generate(), null);
        }
        return g.generatePublicKeyRing();
    }

    static PGPPublicKeyRing good(String email) throws Exception {
        return key("<" + email + ">", new Date(System.currentTimeMillis() - 60_000), 0, HashAlgorithmTags.SHA256, true);
    }

    @Test
    void goodKeyIsAccepted() throws Exception {
        PgpKeys.ValidCert v = PgpKeys.validate(good("alice@example.com"), "alice@example.com", Instant.now());
        assertThat(v.emails()).containsExactly("alice@example.com");
        assertThat(v.encryptionKeys()).hasSize(1);
    }

    @Test
    void expiredKeyIsRefused() throws Exception {
        Date twoYearsAgo = new Date(System.currentTimeMillis() - 2L * 365 * 86400 * 1000);
        PGPPublicKeyRing k = key("<alice@example.com>", twoYearsAgo, 365L * 86400, HashAlgorithmTags.SHA256, true);
        assertThatThrownBy(() -> PgpKeys.validate(k, "alice@example.com", Instant.now()))
                .hasMessageContaining(PgpKeys.fingerprint(k.getPublicKey())).hasMessageContaining("expired");
    }

    @Test
    void revokedKeyIsRefused() throws Exception {
        java.security.SecureRandom r = new java.security.SecureRandom();
        PGPSecretKeyRing sec = PgpKeys.generate("alice@example.com", null, PgpKeys.Algo.CV25519);
        var priv = sec.getSecretKey().extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]));
        PGPSignatureGenerator sg = new PGPSignatureGenerator(new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA256), sec.getPublicKey());
        sg.init(PGPSignature.KEY_REVOCATION, priv);
        PGPPublicKey revoked = PGPPublicKey.addCertification(sec.getPublicKey(), sg.generateCertification(sec.getPublicKey()));
        PGPPublicKeyRing ring = PGPPublicKeyRing.insertPublicKey(PgpKeys.publicRing(sec), revoked);
        assertThat(r).isNotNull();
        assertThatThrownBy(() -> PgpKeys.validate(ring, "alice@example.com", Instant.now()))
                .hasMessageContaining(PgpKeys.fingerprint(ring.getPublicKey())).hasMessageContaining("revoked");
    }

    @Test
    void signOnlyKeyIsRefused() throws Exception {
        PGPPublicKeyRing k = key("<alice@example.com>", new Date(System.currentTimeMillis() - 60_000), 0, HashAlgorithmTags.SHA256, false);
        assertThatThrownBy(() -> PgpKeys.validate(k, "alice@example.com", Instant.now()))
                .hasMessageContaining(PgpKeys.fingerprint(k.getPublicKey())).hasMessageContaining("no encryption-capable subkey");
    }

    @Test
    void sha1SelfSignatureIsRefused() throws Exception {
        PGPPublicKeyRing k = key("<alice@example.com>", new Date(System.currentTimeMillis() - 60_000), 0, HashAlgorithmTags.SHA1, true);
        assertThatThrownBy(() -> PgpKeys.validate(k, "alice@example.com", Instant.now()))
                .hasMessageContaining(PgpKeys.fingerprint(k.getPublicKey())).hasMessageContaining("SHA-1");
    }

    @Test
    void wrongUserIdIsRefusedForThatAddress() throws Exception {
        PGPPublicKeyRing k = good("mallory@example.com");
        assertThatThrownBy(() -> PgpKeys.validate(k, "alice@example.com", Instant.now()))
                .hasMessageContaining(PgpKeys.fingerprint(k.getPublicKey())).hasMessageContaining("no user id matching alice@example.com");
    }

    @Test
    void gnupgMadeExpiredKeyIsRefusedAtImport() throws Exception {
        String gpg = Peers.require("gpg", "gnupg");
        Path home = Files.createDirectories(dir.resolve("g"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Cmd.run(gpg, "--homedir", home.toString(), "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--faked-system-time", "20200101T000000",
                "--quick-gen-key", "<old@example.com>", "future-default", "default", "1y").ok("gpg gen");
        Path pub = dir.resolve("old.asc");
        Files.write(pub, Cmd.run(gpg, "--homedir", home.toString(), "--armor", "--export", "old@example.com").ok("export").out());
        Cmd.run("gpgconf", "--homedir", home.toString(), "--kill", "all");
        Path cfg = config();
        Run r = cli("keys", "import", pub.toString(), "-c", cfg.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("refused", "expired");
        assertThat(r.out).contains("0 imported, 1 refused");
    }

    @Test
    void keyringOfHundredKeysImportsAndCliManagesThem() throws Exception {
        Path ring = dir.resolve("ring.asc");
        try (ArmoredOutputStream a = ArmoredOutputStream.builder().clearHeaders().build(Files.newOutputStream(ring))) {
            for (int i = 0; i < 100; i++) {
                a.write(PgpKeys.publicRing(PgpKeys.generate("user" + i + "@example.com", "User " + i, PgpKeys.Algo.CV25519)).getEncoded());
            }
        }
        Path cfg = config();
        Run r = cli("keys", "import", ring.toString(), "-c", cfg.toString());
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("100 imported, 0 refused");
        assertThat(cli("keys", "list", "-c", cfg.toString()).out.lines()).hasSize(100);
        Run one = cli("keys", "list", "--email", "user42@example.com", "-c", cfg.toString());
        assertThat(one.out.lines()).hasSize(1);
        String fpr = one.out.split(" ")[0];
        assertThat(cli("keys", "show", fpr, "-c", cfg.toString()).out).contains("uid User 42 <user42@example.com>", "usable: yes");
        assertThat(cli("keys", "export", fpr, "-c", cfg.toString()).out).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        assertThat(cli("keys", "delete", fpr, "-c", cfg.toString()).code).isZero();
        assertThat(cli("keys", "list", "-c", cfg.toString()).out.lines()).hasSize(99);
        assertThat(cli("keys", "show", fpr, "-c", cfg.toString()).code).isEqualTo(1);
    }

    @Test
    void secretKeysAreSealedAndNeedTheMasterPassphrase() throws Exception {
        Path cfg = config();
        Run gen = cli("keys", "generate", "--email", "carol@example.com", "-c", cfg.toString());
        assertThat(gen.code).as(gen.err).isZero();
        String fpr = gen.out.split(" ")[1];
        // nothing of the secret key in clear in the database file
        Path dbFile = dir.resolve("data/db/mailseal.mv.db");
        assertThat(Files.exists(dbFile)).isTrue();
        Path wrong = dir.resolve("wrong.pass");
        Files.writeString(wrong, "not the master passphrase\n");
        Files.setPosixFilePermissions(wrong, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path wrongCfg = dir.resolve("wrong.yml");
        Files.writeString(wrongCfg, Files.readString(cfg).replace(dir.resolve("master.pass").toString(), wrong.toString()));
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "user passphrase 1\n");
        Run bad = cli("keys", "export-secret", fpr, "--passphrase-file", pw.toString(), "-c", wrongCfg.toString());
        assertThat(bad.code).isEqualTo(1);
        assertThat(bad.err).contains("master passphrase does not match");
        Run ok = cli("keys", "export-secret", fpr, "--passphrase-file", pw.toString(), "-c", cfg.toString());
        assertThat(ok.code).as(ok.err).isZero();
        PGPSecretKeyRing exported = (PGPSecretKeyRing) PgpKeys.readKeyrings(new java.io.ByteArrayInputStream(ok.out.getBytes(StandardCharsets.US_ASCII))).get(0);
        assertThat(exported.getSecretKey().getKeyEncryptionAlgorithm()).as("exported key is passphrase-protected").isNotZero();
        assertThatThrownBy(() -> exported.getSecretKey().extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build("wrong".toCharArray())))
                .isInstanceOf(org.bouncycastle.openpgp.PGPException.class);
        assertThat(exported.getSecretKey().extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build("user passphrase 1".toCharArray()))).isNotNull();
        // Without any master passphrase: no generation.
        Path noKeyCfg = dir.resolve("nokey.yml");
        Files.writeString(noKeyCfg, "dataDir: " + dir.resolve("data2") + "\n");
        Run none = cli("keys", "generate", "--email", "dave@example.com", "-c", noKeyCfg.toString());
        assertThat(none.code).isEqualTo(1);
        assertThat(none.err).contains("master passphrase");
    }

    Path config() throws Exception {
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "key handling master\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path cfg = dir.resolve("m.yml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nkeys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}\n");
        return cfg;
    }

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        org.mailseal.testkit.Cli.Run r = org.mailseal.testkit.Cli.run(args);
        return new Run(r.code(), r.out(), r.err());
    }
}
