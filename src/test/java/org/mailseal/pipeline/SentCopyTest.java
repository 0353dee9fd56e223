package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * Encrypted Sent copies, against GreenMail's IMAP server as the cloud mailbox: the copy lands in the
 * sender's Sent folder encrypted to the sender's key; with the IMAP server down the mail still goes
 * out at once and the copy follows when the server is back.
 */
class SentCopyTest {

    @TempDir
    Path dir;

    record Setup(Path config, int smtpPort, int imapPort) {
    }

    Setup setup(CapturingSink sink) throws Exception {
        int port = TestGateway.freePort();
        int imap = TestGateway.freePort();
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                TestGateway.masterKeys(dir, "sent copy master"),
                "sentCopy: {enabled: true, imapUrl: \"imap://127.0.0.1:" + imap + "\", folder: Sent, retryInterval: 1s, requireTls: false}")
                // dead.test's next hop refuses connections: its recipients are deferred (4xx)
                .replace("tls: none,", "tls: none, routes: {dead.test: {nexthop: \"[127.0.0.1]:1\"}},"));
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg.toString()).code()).isZero();
        Path pw = dir.resolve("imap.pw");
        Files.writeString(pw, "imap-secret-1\n");
        Cli.Run r = Cli.run("users", "imap-login", "alice@example.com", "--login", "alice", "--password-file", pw.toString(), "-c", cfg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return new Setup(cfg, port, imap);
    }

    static GreenMail cloud(int imapPort) {
        GreenMail g = new GreenMail(new ServerSetup(imapPort, "127.0.0.1", ServerSetup.PROTOCOL_IMAP));
        g.start();
        g.setUser("alice@example.com", "alice", "imap-secret-1");
        return g;
    }

    static String send(int port, String subject) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            return c.sendMail("alice@example.com", List.of("bob@remote.test"),
                    "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: " + subject + "\r\n\r\nthe body of " + subject + "\r\n");
        }
    }

    /** The raw messages in alice's Sent folder, read back over IMAP. */
    static List<String> sentFolder(int imapPort) throws Exception {
        Session s = Session.getInstance(new Properties());
        List<String> out = new ArrayList<>();
        try (Store store = s.getStore("imap")) {
            store.connect("127.0.0.1", imapPort, "alice", "imap-secret-1");
            Folder f = store.getFolder("Sent");
            if (!f.exists()) {
                return out;
            }
            f.open(Folder.READ_ONLY);
            for (Message m : f.getMessages()) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                m.writeTo(b);
                out.add(b.toString(StandardCharsets.UTF_8));
            }
            f.close(false);
        }
        return out;
    }

    String decryptAsAlice(Path cfg, String message) throws Exception {
        return org.mailseal.testkit.StoreKeys.decrypt(ConfigLoader.load(cfg), "alice@example.com", message);
    }

    @Test
    void copyIsAppendedEncryptedToTheSendersKey() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            Setup s = setup(sink);
            GreenMail g = cloud(s.imapPort());
            try (Gateway gw = TestGateway.start(Files.readString(s.config()))) {
                assertThat(send(s.smtpPort(), "copy me")).startsWith("250");
                assertThat(sink.messages).hasSize(1);
                assertThat(sink.messages.get(0).text()).contains("the body of copy me"); // the recipient has no key: plain
                await().atMost(Duration.ofSeconds(20)).until(() -> sentFolder(s.imapPort()).size() == 1);
                String copy = sentFolder(s.imapPort()).get(0);
                assertThat(copy).contains("multipart/encrypted").doesNotContain("the body of copy me");
                assertThat(decryptAsAlice(s.config(), copy)).contains("Subject: copy me", "the body of copy me");
            } finally {
                g.stop();
            }
        }
    }

    /**
     * One recipient accepted, one deferred: the client gets 4xx and sends the same message again, three
     * times. The accepted recipient gets duplicates (documented), the Sent folder one copy.
     */
    @Test
    void retriesOfAPartiallyDeferredMessageLeaveOneSentCopy() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            Setup s = setup(sink);
            GreenMail g = cloud(s.imapPort());
            String msg = "From: alice@example.com\r\nTo: bob@remote.test, carol@dead.test\r\nSubject: retried\r\n"
                    + "Message-ID: <retried-1@example.com>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\nthe body of retried\r\n";
            try (Gateway gw = TestGateway.start(Files.readString(s.config()))) {
                for (int i = 0; i < 3; i++) {
                    try (SmtpClient c = new SmtpClient(s.smtpPort())) {
                        c.expect("220");
                        c.send("EHLO client.example.com");
                        c.expect("250");
                        assertThat(c.sendMail("alice@example.com", List.of("bob@remote.test", "carol@dead.test"), msg)).startsWith("4");
                    }
                }
                assertThat(sink.messages).hasSize(3);
                await().atMost(Duration.ofSeconds(20)).until(() -> sentFolder(s.imapPort()).size() >= 1);
                Thread.sleep(3000); // a second copy would arrive within the retry interval (1 s)
                assertThat(sentFolder(s.imapPort())).hasSize(1);
            } finally {
                g.stop();
            }
        }
    }

    @Test
    void imapDownDelaysOnlyTheCopy() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            Setup s = setup(sink);
            try (Gateway gw = TestGateway.start(Files.readString(s.config()))) {
                // No IMAP server yet: the mail goes out at once.
                assertThat(send(s.smtpPort(), "while imap is down")).startsWith("250");
                assertThat(sink.messages).hasSize(1);
                Path queue = dir.resolve("data/sent-copies");
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    try (var st = Files.list(queue)) {
                        return st.filter(p -> p.toString().endsWith(".eml")).count() == 1;
                    }
                });
                Thread.sleep(2500); // a couple of failed retries
                GreenMail g = cloud(s.imapPort());
                try {
                    await().atMost(Duration.ofSeconds(20)).until(() -> sentFolder(s.imapPort()).size() == 1);
                    assertThat(decryptAsAlice(s.config(), sentFolder(s.imapPort()).get(0))).contains("Subject: while imap is down");
                    await().atMost(Duration.ofSeconds(5)).until(() -> {
                        try (var st = Files.list(queue)) { // only the appended message's key stays (.done)
                            return st.noneMatch(p -> p.toString().endsWith(".eml") || p.toString().endsWith(".user"));
                        }
                    });
                } finally {
                    g.stop();
                }
            }
        }
    }

    @Test
    void queuedCopySurvivesARestart() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            Setup s = setup(sink);
            try (Gateway gw = TestGateway.start(Files.readString(s.config()))) {
                assertThat(send(s.smtpPort(), "before restart")).startsWith("250");
            }
            GreenMail g = cloud(s.imapPort());
            try (Gateway gw = TestGateway.start(Files.readString(s.config()))) {
                await().atMost(Duration.ofSeconds(20)).until(() -> sentFolder(s.imapPort()).size() == 1);
                Thread.sleep(1500);
                assertThat(sentFolder(s.imapPort())).as("exactly one copy, no duplicate").hasSize(1);
            } finally {
                g.stop();
            }
        }
    }
}
