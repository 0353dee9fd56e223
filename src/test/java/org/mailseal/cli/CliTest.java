package org.mailseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.auth.PasswordHasher;
import org.mailseal.auth.UserStore;
import org.mailseal.config.ConfigLoader;
import org.mailseal.store.Database;

class CliTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String stdin, String... args) {
        org.mailseal.testkit.Cli.Run r = org.mailseal.testkit.Cli.runWithInput(stdin, args);
        return new Run(r.code(), r.out(), r.err());
    }

    @Test
    void everySubcommandHasHelp() {
        for (String cmd : new String[] {"serve", "demo", "check-config", "version", "users", "keys", "certs", "ca", "policy", "postfix-config", "pdf", "dkim", "wkd", "dns-records", "quarantine"}) {
            Run r = run("", cmd, "--help");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out()).contains("Usage: mailseal " + cmd);
        }
        assertThat(run("", "--help").out()).contains("serve", "demo", "check-config", "version", "users");
    }

    @Test
    void versionPrints() {
        Run r = run("", "version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("mailseal ");
    }

    @Test
    void badConfigExitsWith2AndAOneLineMessage() throws Exception {
        Path cfg = dir.resolve("bad.yml");
        Files.writeString(cfg, "smtp:\n  listen: 127.0.0.1:10025\n  bogus: 1\n");
        Run r = run("", "check-config", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("line 3", "unknown key 'smtp.bogus'");
        Run missing = run("", "serve", "--config", dir.resolve("nope.yml").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("config file not found");
    }

    @Test
    void checkConfigPrintsEffectiveSettings() {
        Run r = run("", "check-config");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("127.0.0.1:10025", "[127.0.0.1]:10026");
    }

    @Test
    void usersAddListPasswdDelete() throws Exception {
        Path cfg = dir.resolve("m.yml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nauth: {argon2MemoryKiB: 1024, argon2Iterations: 1}\n");
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "first-password\n");
        assertThat(run("", "users", "add", "Alice@Example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isZero();
        assertThat(run("", "users", "add", "alice@example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isEqualTo(1);
        assertThat(run("", "users", "add", "bob@example.com", "--password-file", "-", "-c", cfg.toString()).code()).isEqualTo(1); // empty stdin
        assertThat(run("second-password\n", "users", "add", "bob@example.com", "--password-file", "-", "-c", cfg.toString()).code()).isZero();
        assertThat(run("", "users", "list", "-c", cfg.toString()).out()).isEqualTo("alice@example.com\nbob@example.com\n");
        assertThat(run("changed-password\n", "users", "passwd", "alice@example.com", "--password-file", "-", "-c", cfg.toString()).code()).isZero();
        try (Database db = Database.open(ConfigLoader.load(cfg))) {
            UserStore s = new UserStore(db.dataSource(), new PasswordHasher(1024, 1));
            assertThat(s.verify("alice@example.com", "changed-password")).isTrue();
            assertThat(s.verify("alice@example.com", "first-password")).isFalse();
            // hashes at rest are Argon2id, never the password
            try (var c = db.dataSource().getConnection(); var rs = c.createStatement().executeQuery("SELECT password_hash FROM users")) {
                while (rs.next()) {
                    assertThat(rs.getString(1)).startsWith("$argon2id$v=19$").doesNotContain("password");
                }
            }
        }
        assertThat(run("", "users", "delete", "bob@example.com", "-c", cfg.toString()).code()).isZero();
        assertThat(run("", "users", "delete", "bob@example.com", "-c", cfg.toString()).code()).isEqualTo(1);
        assertThat(run("", "users", "list", "-c", cfg.toString()).out()).isEqualTo("alice@example.com\n");
    }

    @Test
    void smimeDemoRunsEndToEnd() {
        Run r = run("", "demo", "--smime");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("application/pkcs7-mime; smime-type=enveloped-data", "Subject: [...]", "openssl cms -decrypt",
                "Subject: Quarterly figures", "X-Mailseal-Info: <alice@example.com> encrypted to S/MIME certificate");
    }

    @Test
    void demoRunsEndToEnd() {
        Run r = run("", "demo");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("250 2.0.0 Ok: queued as", "queue id: ", "Subject: Quarterly figures", "(mailseal) with ESMTP id",
                "multipart/encrypted", "Subject: [...]", "gpg --homedir", "X-Mailseal-Info: <alice@example.com> encrypted to OpenPGP key",
                "web admin: https://127.0.0.1:", "log in as admin@example.com with the one-time password ",
                "-- the same message read through mailseal's IMAP bridge");
        String bridged = r.out().substring(r.out().indexOf("-- the same message read through mailseal's IMAP bridge"));
        assertThat(bridged.substring(0, bridged.indexOf("-- end --"))).contains("Subject: Quarterly figures", "the figures are attached in spirit")
                .doesNotContain("multipart/encrypted");
        assertThat(r.out()).containsPattern("one-time password [A-Za-z0-9]{16}\\b");
    }
}
