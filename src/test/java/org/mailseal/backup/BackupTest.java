package org.mailseal.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.StoreKeys;
import org.mailseal.testkit.TestGateway;

/**
 * Back up, wipe, restore: the same keys open the mail encrypted before, the same users and DKIM keys are
 * there, and the gateway serves the same TLS certificate. A backup changed in one byte, cut short, or opened
 * with the wrong passphrase is refused before anything is written; a backup from an older schema restores
 * into the current one.
 */
class BackupTest {

    Path dir;
    CapturingSink sink;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("backup");
        sink = new CapturingSink();
    }

    @AfterEach
    void tearDown() throws Exception {
        Cleanup.all(dir, sink);
    }

    String config(Path data, int port, String... extra) throws Exception {
        String[] all = new String[extra.length + 3];
        all[0] = TestGateway.masterKeys(dir, "correct horse battery staple");
        all[1] = "domains: {local: [example.com]}";
        all[2] = "policy: {encrypt: mandatory}";
        System.arraycopy(extra, 0, all, 3, extra.length);
        return TestGateway.yaml(data, port, 0, sink.port(), all);
    }

    static String tlsFingerprint(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            SmtpClient c = new SmtpClient(s);
            c.expect("220");
            c.send("EHLO client.test");
            c.expect("250");
            c.send("STARTTLS");
            c.expect("220");
            javax.net.ssl.SSLContext ctx = org.mailseal.testkit.TrustAll.context();
            try (SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(s, "gw.test", port, false)) {
                t.startHandshake();
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(t.getSession().getPeerCertificates()[0].getEncoded()));
            }
        }
    }

    @Test
    void backUpWipeRestoreKeepsKeysUsersDkimAndTheTlsCertificate() throws Exception {
        Path data = dir.resolve("data");
        int port = TestGateway.freePort();
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, config(data, port));
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "a user password\n");
        assertThat(Cli.run("users", "add", "alice@example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isZero();
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
        assertThat(Cli.run("dkim", "generate", "--domain", "example.com", "-c", cfg.toString()).code()).isZero();
        String cert;
        try (Gateway g = TestGateway.start(Files.readString(cfg))) {
            assertThat(SmtpClient.submit(port, "mx.sender.test", "bob@sender.test", "alice@example.com",
                    "From: bob@sender.test\r\nTo: alice@example.com\r\nSubject: kept\r\n\r\nthe secret kept in the mailbox\r\n")).startsWith("250");
            cert = tlsFingerprint(port);
        }
        String stored = sink.messages.get(0).text();
        assertThat(stored).doesNotContain("the secret kept in the mailbox");
        String keysBefore = Cli.run("keys", "list", "-c", cfg.toString()).out();
        String usersBefore = Cli.run("users", "list", "-c", cfg.toString()).out();
        String dkimBefore = Cli.run("dkim", "show", "-c", cfg.toString()).out();

        Path backup = dir.resolve("mailseal.backup");
        Cli.Run made = Cli.run("backup", "--out", backup.toString(), "-c", cfg.toString());
        assertThat(made.code()).as(made.err()).isZero();
        assertThat(made.out()).contains("backup written");
        assertThat(Files.getPosixFilePermissions(backup)).containsOnly(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        byte[] raw = Files.readAllBytes(backup);
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain("alice@example.com", "BEGIN", "example.com");
        Cli.Run checked = Cli.run("restore", "--verify", backup.toString(), "-c", cfg.toString());
        assertThat(checked.code()).as(checked.err()).isZero();
        assertThat(checked.out()).contains("backup OK");

        // The box is lost: data dir and config gone; the admin has the backup and the passphrase.
        org.mailseal.testkit.Cmd.run("rm", "-rf", data.toString()).ok("rm");
        Files.move(cfg, dir.resolve("old.yml"));
        Cli.Run restored = Cli.run("restore", backup.toString(), "-c", cfg.toString(), "--passphrase-file", dir.resolve("master.pass").toString());
        assertThat(restored.code()).as(restored.err()).isZero();
        assertThat(restored.out()).contains("config written to", "restored");
        assertThat(Files.readString(cfg)).isEqualTo(Files.readString(dir.resolve("old.yml")));
        assertThat(Cli.run("keys", "list", "-c", cfg.toString()).out()).isEqualTo(keysBefore);
        assertThat(Cli.run("users", "list", "-c", cfg.toString()).out()).isEqualTo(usersBefore);
        assertThat(Cli.run("dkim", "show", "-c", cfg.toString()).out()).isEqualTo(dkimBefore);
        MailsealConfig c = ConfigLoader.load(cfg);
        assertThat(StoreKeys.decrypt(c, "alice@example.com", stored)).contains("the secret kept in the mailbox");
        try (Gateway g = TestGateway.start(Files.readString(cfg))) {
            assertThat(tlsFingerprint(port)).as("the same TLS certificate").isEqualTo(cert);
            assertThat(SmtpClient.submit(port, "mx.sender.test", "bob@sender.test", "alice@example.com",
                    "From: bob@sender.test\r\nTo: alice@example.com\r\nSubject: after\r\n\r\nafter the restore\r\n")).startsWith("250");
        }
        assertThat(StoreKeys.decrypt(c, "alice@example.com", sink.messages.get(1).text())).contains("after the restore");

        // Restoring over an installation that has data is refused.
        Cli.Run again = Cli.run("restore", backup.toString(), "-c", cfg.toString());
        assertThat(again.code()).isNotZero();
        assertThat(again.err()).contains("not empty");
    }

    @Test
    void aChangedTruncatedOrWronglyOpenedBackupIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path data = dir.resolve("data");
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, config(data, TestGateway.freePort()));
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
        Path backup = dir.resolve("b.backup");
        assertThat(Cli.run("backup", "--out", backup.toString(), "-c", cfg.toString()).code()).isZero();
        byte[] good = Files.readAllBytes(backup);

        Path changed = dir.resolve("changed.backup");
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x01;
        Files.write(changed, bad);
        Path cut = dir.resolve("cut.backup");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 40));
        Path wrongPass = dir.resolve("wrong.pass");
        Files.writeString(wrongPass, "not the passphrase\n");

        Path target = dir.resolve("target.yml");
        Path targetData = dir.resolve("target-data");
        Files.writeString(target, config(targetData, TestGateway.freePort()));
        for (Object[] c : new Object[][] {{changed, "changed", null}, {cut, "cut short", null}, {backup, "wrong passphrase", wrongPass}}) {
            Path f = (Path) c[0];
            List<String> args = new java.util.ArrayList<>(List.of("restore", f.toString(), "-c", target.toString()));
            if (c[2] != null) {
                args.addAll(List.of("--passphrase-file", c[2].toString()));
            }
            Cli.Run r = Cli.run(args.toArray(new String[0]));
            assertThat(r.code()).as(f.toString()).isNotZero();
            assertThat(r.err()).as(f.toString()).contains((String) c[1]);
            assertThat(targetData).as("nothing restored from " + f).doesNotExist();
        }
        assertThat(Cli.run("restore", "--verify", backup.toString(), "-c", cfg.toString()).code()).isZero();
    }

    @Test
    void aBackupFromAnOlderSchemaRestoresIntoTheCurrentOne() throws Exception {
        Path cfgOld = dir.resolve("old.yml");
        Files.writeString(cfgOld, config(dir.resolve("old-data"), TestGateway.freePort()));
        MailsealConfig old = ConfigLoader.load(cfgOld);
        Path backup = dir.resolve("old.backup");
        try (Database db = Database.open(old, "12")) { // a store that stopped at V12 (before discovered keys)
            assertThat(db.schemaVersion()).isEqualTo("12");
            try (Connection c = db.dataSource().getConnection()) {
                c.createStatement().executeUpdate("INSERT INTO user_policy (email, setting, setting_value) VALUES ('alice@example.com', 'encrypt', 'never')");
            }
            Backup.write(old, cfgOld, db, "0.0.9", backup, "correct horse battery staple".toCharArray());
        }
        Path cfgNew = dir.resolve("new.yml");
        Files.writeString(cfgNew, config(dir.resolve("new-data"), TestGateway.freePort()));
        Backup.Summary s = Backup.restore(backup, "correct horse battery staple".toCharArray(), text -> ConfigLoader.load(cfgNew));
        assertThat(s.manifest().schema()).isEqualTo("12");
        try (Database db = Database.open(ConfigLoader.load(cfgNew))) {
            assertThat(Integer.parseInt(db.schemaVersion())).isGreaterThan(12);
            try (Connection c = db.dataSource().getConnection();
                 ResultSet rs = c.createStatement().executeQuery("SELECT setting_value FROM user_policy WHERE email = 'alice@example.com'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("never");
            }
            try (Connection c = db.dataSource().getConnection();
                 ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM discovered_keys")) {
                assertThat(rs.next()).isTrue(); // a table of a later migration exists
            }
        }
    }
}
