package org.mailseal.postfix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.PrivatePostfix;
import org.mailseal.testkit.SmtpSinkProcess;
import org.mailseal.testkit.TestGateway;

/**
 * mailseal as Postfix's after-queue content filter, against a real, private Postfix:
 * client → Postfix → mailseal (SMTP or LMTP) → Postfix (reinjection) → smtp-sink. The Postfix lines are
 * exactly what {@code mailseal postfix-config} prints.
 */
public class PostfixContentFilterTest {

    @TempDir
    Path dir;

    record Setup(Path config, int postfixPort, int gatewayPort, int lmtpPort, int reinjectPort, int sinkPort) {
    }

    Setup setup(String policy) throws Exception {
        int gw = TestGateway.freePort();
        int lmtp = TestGateway.freePort();
        int reinject = TestGateway.freePort();
        int sink = TestGateway.freePort();
        int pf = TestGateway.freePort();
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "postfix test master\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), gw, lmtp, reinject, policy,
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}"));
        return new Setup(cfg, pf, gw, lmtp, reinject, sink);
    }

    PrivatePostfix postfix(Setup s, boolean lmtp) throws Exception {
        String text = PostfixConfig.render(ConfigLoader.load(s.config()), lmtp);
        int split = text.indexOf("# ---- master.cf ----");
        return PrivatePostfix.start(s.postfixPort(), s.sinkPort(), text.substring(0, split), text.substring(split));
    }

    static String swaks(int port, String to, String subject) throws Exception {
        String swaks = Peers.require("swaks", "swaks");
        Cmd.Result r = Cmd.run(swaks, "--server", "127.0.0.1", "--port", String.valueOf(port), "--from", "bob@internet.test", "--to", to,
                "--header", "Subject: " + subject, "--body", "secret body for " + to);
        assertThat(r.code()).as(r.outText()).isZero();
        Matcher m = Pattern.compile("250 2.0.0 Ok: queued as (\\w+)").matcher(r.outText());
        assertThat(m.find()).as(r.outText()).isTrue();
        return m.group(1);
    }

    public static String decrypt(Path config, String email, String dump) throws Exception {
        return org.mailseal.testkit.StoreKeys.decrypt(ConfigLoader.load(config), email, dump);
    }

    static void assertEncrypted(String dump) {
        assertThat(dump).contains("multipart/encrypted", "Subject: [...]").doesNotContain("secret body");
    }

    @Test
    void smtpContentFilterEncryptsAndCrossLogsQueueIds() throws Exception {
        Setup s = setup("policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(s.sinkPort());
             GatewayProcess gw = GatewayProcess.start(s.config(), dir.resolve("gw.log"), s.gatewayPort());
             PrivatePostfix pf = postfix(s, false)) {
            String postfixId = swaks(s.postfixPort(), "alice@example.com", "through postfix");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 1);
            String dump = sink.messages().get(0);
            assertEncrypted(dump);
            String inner = decrypt(s.config(), "alice@example.com", dump);
            assertThat(inner).contains("Subject: through postfix", "secret body for alice@example.com");
            // One grep follows the message: mailseal logs Postfix's queue id (XFORWARD IDENT) ...
            String gwLog = Files.readString(dir.resolve("gw.log"));
            assertThat(gwLog).contains("orig_queue_id=" + postfixId);
            Matcher m = Pattern.compile("(\\w+): client=.*orig_queue_id=" + postfixId).matcher(gwLog);
            assertThat(m.find()).isTrue();
            String mailsealId = m.group(1);
            assertThat(gwLog).contains(mailsealId + ": to=<alice@example.com>, relay=127.0.0.1[127.0.0.1]:" + s.reinjectPort());
            // ... and Postfix logs mailseal's, twice: in the filter delivery's reply, and at reinjection (XFORWARD IDENT).
            assertThat(pf.log()).contains(postfixId + ": to=<alice@example.com>, relay=127.0.0.1[127.0.0.1]:" + s.gatewayPort());
            assertThat(pf.log()).contains("status=sent (250 2.0.0 Ok: queued as " + mailsealId + ")");
            assertThat(pf.log()).containsPattern("\\w+: client=localhost\\[127.0.0.1\\], orig_queue_id=" + mailsealId);
        }
    }

    @Test
    void lmtpContentFilterGivesPerRecipientResults() throws Exception {
        Setup s = setup("policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(s.sinkPort());
             GatewayProcess gw = GatewayProcess.start(s.config(), dir.resolve("gw.log"), s.gatewayPort());
             PrivatePostfix pf = postfix(s, true)) {
            swaks(s.postfixPort(), "alice@example.com,carol@example.com", "lmtp path");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() >= 1);
            Thread.sleep(500);
            for (String dump : sink.messages()) {
                assertEncrypted(dump);
            }
            assertThat(pf.log()).contains("relay=127.0.0.1[127.0.0.1]:" + s.lmtpPort());
            String inner = decrypt(s.config(), "carol@example.com", sink.messages().stream().filter(d -> d.contains("carol@example.com")).findFirst().orElseThrow());
            assertThat(inner).contains("Subject: lmtp path");
        }
    }

    @Test
    void noLossWhenMailsealIsDownAnswers4xxOrIsKilledMidData() throws Exception {
        Setup s = setup("policy: {encrypt: mandatory, onMissingKey: tempfail}");
        Path cfg = s.config();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(s.sinkPort()); PrivatePostfix pf = postfix(s, false)) {
            // 1. mailseal stopped: Postfix defers and keeps the mail.
            swaks(s.postfixPort(), "alice@example.com", "while down");
            await().atMost(Duration.ofSeconds(20)).until(() -> pf.log().contains("status=deferred"));
            assertThat(pf.queued()).isEqualTo(1);
            assertThat(sink.count()).isZero();

            try (GatewayProcess gw = GatewayProcess.start(cfg, dir.resolve("gw1.log"), s.gatewayPort())) {
                // 2. mailseal answers 4xx (mandatory encryption, no key yet): Postfix keeps it.
                pf.flush();
                await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(dir.resolve("gw1.log")).contains("450 4.7.1"));
                assertThat(pf.queued()).isEqualTo(1);
                assertThat(sink.count()).isZero();
                assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
                pf.flush();
                await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 1);
                assertThat(pf.queued()).isZero();
                // 3. killed mid-DATA: a big message; kill -9 once mailseal is spooling it.
                Files.writeString(dir.resolve("big.txt"), ("x".repeat(76) + "\n").repeat(100_000));
                Cmd.Result r = Cmd.run(Peers.require("swaks", "swaks"), "--server", "127.0.0.1", "--port", String.valueOf(s.postfixPort()),
                        "--from", "bob@internet.test", "--to", "alice@example.com", "--header", "Subject: killed", "--body", "@" + dir.resolve("big.txt"));
                assertThat(r.code()).as(r.outText()).isZero();
                Path incoming = dir.resolve("data/spool/incoming");
                await().atMost(Duration.ofSeconds(30)).pollInterval(5, TimeUnit.MILLISECONDS).until(() -> {
                    try (var st = Files.list(incoming)) {
                        return st.findAny().isPresent();
                    }
                });
                gw.kill9();
            }
            Thread.sleep(1000);
            assertThat(pf.queued()).as("Postfix still holds the message mailseal died on").isEqualTo(1);
            try (GatewayProcess gw = GatewayProcess.start(cfg, dir.resolve("gw2.log"), s.gatewayPort())) {
                pf.flush();
                await().atMost(Duration.ofSeconds(60)).until(() -> pf.queued() == 0);
                await().atMost(Duration.ofSeconds(10)).until(() -> sink.count() >= 2);
            }
            // Count at the destination: every message there, none in plaintext (a duplicate would be allowed, a loss not).
            List<String> all = sink.messages();
            for (String m : all) {
                assertThat(m).as("delivered copy, first 2000 chars:\n" + m.substring(0, Math.min(2000, m.length()))).contains("multipart/encrypted");
            }
            assertThat(all.stream().filter(m -> m.contains("multipart/encrypted")).count()).isEqualTo(all.size()).isGreaterThanOrEqualTo(2);
            assertThat(all).noneMatch(m -> m.contains("secret body") || m.contains("xxxxxxxxxxxxxxxxxxxx"));
            // Both messages arrived: the one held while mailseal was down/4xx, and the one it died on.
            List<String> subjects = new java.util.ArrayList<>();
            for (String m : all) {
                String inner = decrypt(cfg, "alice@example.com", m);
                subjects.add(inner.substring(inner.indexOf("Subject: ") + 9, inner.indexOf("\r\n", inner.indexOf("Subject: "))));
            }
            assertThat(subjects).contains("while down", "killed");
        }
    }

    @Test
    void thousandMessagesAllAccountedFor() throws Exception {
        Setup s = setup("policy: {encrypt: mandatory, onMissingKey: tempfail}");
        String source = Peers.require("smtp-source", "postfix");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(s.sinkPort());
             GatewayProcess gw = GatewayProcess.start(s.config(), dir.resolve("gw.log"), s.gatewayPort());
             PrivatePostfix pf = postfix(s, false)) {
            assertThat(Cli.run("keys", "generate", "--email", "u@example.com", "-c", s.config().toString()).code()).isZero();
            Cmd.Result r = Cmd.run(source, "-s", "10", "-m", "1000", "-l", "4096", "-f", "load@internet.test", "-t", "u@example.com",
                    "127.0.0.1:" + s.postfixPort());
            assertThat(r.code()).as(r.err()).isZero();
            await().atMost(Duration.ofMinutes(3)).until(() -> sink.count() >= 1000 && pf.queued() == 0);
            Thread.sleep(500);
            assertThat(sink.count()).isEqualTo(1000);
            assertThat(sink.messages()).allMatch(m -> m.contains("multipart/encrypted"));
            assertThat(pf.log()).doesNotContain("status=bounced");
        }
    }
}
