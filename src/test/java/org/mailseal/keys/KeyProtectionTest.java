package org.mailseal.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.imap.ImapLogins;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** Encrypt-only mode and master-key rotation. */
class KeyProtectionTest {

    @TempDir
    Path dir;

    Path config(int port, int relay, String... extra) throws Exception {
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, relay, extra));
        return cfg;
    }

    @Test
    void encryptOnlyRefusesPrivateKeysAndStillEncryptsInbound() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            int port = TestGateway.freePort();
            Path cfg = config(port, sink.port(), "mode: encrypt-only", "policy: {encrypt: mandatory, onMissingKey: tempfail}");
            String c = cfg.toString();
            Cli.Run gen = Cli.run("keys", "generate", "--email", "alice@example.com", "-c", c);
            assertThat(gen.code()).isNotZero();
            assertThat(gen.err()).contains("encrypt-only");
            assertThat(Cli.run("ca", "init", "-c", c).code()).isNotZero();
            // A secret key to import: made elsewhere (a throwaway full-mode store would do; BC is enough here).
            PGPSecretKeyRing sec = PgpKeys.generate("alice@example.com", null, PgpKeys.Algo.CV25519);
            Path secFile = dir.resolve("alice.sec");
            Files.write(secFile, PgpKeys.armor(sec.getEncoded()));
            Cli.Run imp = Cli.run("keys", "import", secFile.toString(), "-c", c);
            assertThat(imp.code()).isEqualTo(2);
            assertThat(imp.err()).contains("refusing to import secret keys");
            Path pubFile = dir.resolve("alice.pub");
            Files.write(pubFile, PgpKeys.armor(PgpKeys.publicRing(sec).getEncoded()));
            assertThat(Cli.run("keys", "import", pubFile.toString(), "-c", c).code()).isZero();
            try (Gateway gw = TestGateway.start(Files.readString(cfg)); SmtpClient s = new SmtpClient(port)) {
                s.expect("220");
                s.send("EHLO x");
                s.expect("250");
                assertThat(s.sendMail("bob@internet.test", List.of("alice@example.com"),
                        "From: bob@internet.test\r\nSubject: hi\r\n\r\nsecret for alice\r\n")).startsWith("250");
                assertThat(sink.messages).hasSize(1);
                assertThat(sink.messages.get(0).text()).contains("multipart/encrypted").doesNotContain("secret for alice");
                // No key, and none can be made here: deferred, never plaintext.
                s.send("RSET");
                s.expect("250");
                assertThat(s.sendMail("bob@internet.test", List.of("carol@example.com"), "Subject: x\r\n\r\nsecret\r\n")).startsWith("4");
            }
        }
    }

    @Test
    void encryptOnlyWillNotStartOnAStoreWithPrivateKeys() throws Exception {
        int port = TestGateway.freePort();
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "a master passphrase\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String keys = "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}";
        Path cfg = config(port, 1, keys);
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
        Path only = config(port, 1, keys, "mode: encrypt-only");
        assertThatThrownBy(() -> TestGateway.start(Files.readString(only))).hasMessageContaining("encrypt-only")
                .hasMessageContaining("private keys");
    }

    @Test
    void wrongOrMissingPassphraseStopsStartUp() throws Exception {
        int port = TestGateway.freePort();
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "the right passphrase\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path cfg = config(port, 1, "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}");
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
        Files.writeString(master, "a wrong passphrase\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> TestGateway.start(Files.readString(cfg))).hasMessageContaining("master passphrase does not match");
        Path none = config(port, 1);
        assertThatThrownBy(() -> TestGateway.start(Files.readString(none))).hasMessageContaining("no master passphrase")
                .hasMessageContaining("keys.masterPassphraseFile");
    }

    @Test
    void rotateMasterReSealsEverythingAndARunningGatewayFollows() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            int port = TestGateway.freePort();
            Path master = dir.resolve("master.pass");
            Files.writeString(master, "the old master passphrase\n");
            java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Path cfg = config(port, sink.port(), "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}", "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}");
            String c = cfg.toString();
            assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", c).code()).isZero();
            assertThat(Cli.run("ca", "init", "-c", c).code()).isZero();
            assertThat(Cli.run("ca", "issue", "--email", "alice@example.com", "-c", c).code()).isZero();
            Path pw = dir.resolve("imap.pw");
            Files.writeString(pw, "imap-password\n");
            assertThat(Cli.run("users", "imap-login", "alice@example.com", "--password-file", pw.toString(), "-c", c).code()).isZero();
            // A PDF password for an internationalised address (RFC 6531: its UTF-8 form is the seal's aad) and a PDF secret.
            assertThat(Cli.runWithInput("a-pdf-password-for-jürgen\n", "pdf", "password", "--email", "jürgen@partner.test", "--password-file", "-",
                    "-c", c).code()).isZero();
            byte[] pdfSecret;
            try (Database db = Database.open(ConfigLoader.load(cfg))) {
                pdfSecret = new PdfSecrets(db.dataSource()).secretFor("quinn@partner.test", MasterPassphrase.unlock(ConfigLoader.load(cfg), db.dataSource()));
            }

            try (Gateway gw = TestGateway.start(Files.readString(cfg))) {
                Path next = dir.resolve("next.pass");
                Files.writeString(next, "the new master passphrase\n");
                Cli.Run r = Cli.run("keys", "rotate-master", "--new-passphrase-file", next.toString(), "-c", c);
                assertThat(r.code()).as(r.err()).isZero();
                // OpenPGP secret, S/MIME key, CA key, IMAP password, PDF password, PDF secret
                assertThat(r.out()).contains("re-sealed 6 records");
                assertThat(Files.readString(master).trim()).isEqualTo("the new master passphrase");

                // The running gateway still generates and uses keys (it re-unlocks from the rotated file).
                try (SmtpClient s = new SmtpClient(port)) {
                    s.expect("220");
                    s.send("EHLO x");
                    s.expect("250");
                    assertThat(s.sendMail("bob@internet.test", List.of("dave@example.com"), "Subject: x\r\n\r\nsecret\r\n")).startsWith("250");
                }
                assertThat(sink.messages.get(0).text()).contains("multipart/encrypted");
            }

            MailsealConfig conf = ConfigLoader.load(cfg);
            try (Database db = Database.open(conf)) {
                assertThatThrownBy(() -> MasterKey.unlock(db.dataSource(), "the old master passphrase".toCharArray(), 1024, 1))
                        .hasMessageContaining("does not match");
                MasterKey mk = MasterPassphrase.unlock(conf, db.dataSource());
                PgpKeyStore ks = new PgpKeyStore(db.dataSource());
                assertThat(ks.secret(ks.list("alice@example.com").get(0).fingerprint(), mk)).isPresent();
                // The key the running gateway generated after the rotation is sealed under the new key too.
                assertThat(ks.secret(ks.list("dave@example.com").get(0).fingerprint(), mk)).isPresent();
                SmimeStore ss = new SmimeStore(db.dataSource());
                assertThat(ss.ca().orElseThrow().key(mk)).isNotNull();
                assertThat(ss.privateKey(ss.list("alice@example.com").get(0).fingerprint(), mk)).isPresent();
                assertThat(new String(new ImapLogins(db.dataSource()).get("alice@example.com", mk).orElseThrow().password())).isEqualTo("imap-password");
                assertThat(new String(new PdfPasswords(db.dataSource()).get("jürgen@partner.test", mk).orElseThrow())).isEqualTo("a-pdf-password-for-jürgen");
                assertThat(new PdfSecrets(db.dataSource()).find("quinn@partner.test", mk).orElseThrow()).isEqualTo(pdfSecret);
            }
        }
    }
}
