package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestGateway;

/** Real clients through mailseal to a real next hop: the bytes that arrive are the bytes sent, plus our Received. */
class EndToEndTest {

    @TempDir
    Path dir;

    static final String RAW = "From: Bob <bob@internet.test>\r\n"
            + "To: Alice <alice@example.com>\r\n"
            + "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
            + "Message-ID: <e2e-1@internet.test>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            + "\r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n"
            + "\r\n"
            + "Grüße aus Köln.\r\n"
            + ".a line with a leading dot\r\n"
            + "--b1\r\n"
            + "Content-Type: application/octet-stream\r\n"
            + "Content-Transfer-Encoding: base64\r\n"
            + "\r\n"
            + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
            + "--b1--\r\n";

    @Test
    void angusMailThroughMailsealToGreenMailIsByteExact() throws Exception {
        int mbox = TestGateway.freePort();
        GreenMail cloud = new GreenMail(new ServerSetup(mbox, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        cloud.start();
        int port = TestGateway.freePort();
        try (Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, mbox))) {
            Properties p = new Properties();
            p.put("mail.smtp.host", "127.0.0.1");
            p.put("mail.smtp.port", String.valueOf(port));
            p.put("mail.mime.allowutf8", "true");
            Session s = Session.getInstance(p);
            MimeMessage m = new MimeMessage(s, new java.io.ByteArrayInputStream(RAW.getBytes(StandardCharsets.UTF_8)));
            try (SMTPTransport t = (SMTPTransport) s.getTransport("smtp")) {
                t.connect();
                // sendMessage, not Transport.send: no saveChanges(), so the bytes stay as they are
                t.sendMessage(m, new InternetAddress[] {new InternetAddress("alice@example.com")});
                assertThat(t.getLastServerResponse()).startsWith("250 2.0.0 Ok: queued as");
            }
            assertThat(cloud.waitForIncomingEmail(5000, 1)).isTrue();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            cloud.getReceivedMessages()[0].writeTo(b);
            String stored = b.toString(StandardCharsets.UTF_8);
            // GreenMail adds Return-Path and its own Received above ours; start at ours.
            int mark = stored.indexOf("(mailseal)");
            String ours = stored.substring(stored.lastIndexOf("Received: from ", mark));
            // GreenMail stores the message without the CRLF that precedes the terminating "." line.
            assertThat(org.mailseal.testkit.OurFields.strip(ours) + "\r\n").isEqualTo(RAW);
        } finally {
            cloud.stop();
        }
    }

    @Test
    void swaksThroughMailsealToSinkIsByteExact() throws Exception {
        String swaks = Peers.require("swaks", "swaks");
        Path msg = dir.resolve("msg.eml");
        // swaks sends the file, then CRLF.CRLF: leave off the last line end so the bytes on the wire are RAW.
        Files.writeString(msg, RAW.substring(0, RAW.length() - 2));
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port()))) {
            Process pr = new ProcessBuilder(swaks, "--server", "127.0.0.1", "--port", String.valueOf(port),
                    "--from", "bob@internet.test", "--to", "alice@example.com", "--data", "@" + msg,
                    "--ehlo", "swaks.test", "--pipeline")
                    .redirectErrorStream(true).start();
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(pr.exitValue()).as(out).isZero();
            assertThat(out).contains("250 2.0.0 Ok: queued as");
            assertThat(sink.messages).hasSize(1);
            CapturingSink.Received r = sink.messages.get(0);
            assertThat(org.mailseal.testkit.OurFields.strip(r.text())).isEqualTo(RAW);
            assertThat(r.rcptTo()).containsExactly("RCPT TO:<alice@example.com>");
        }
    }

    @Test
    void swaksWithStartTlsAndAuthRelaysOutbound() throws Exception {
        String swaks = Peers.require("swaks", "swaks");
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port()))) {
            try (var db = org.mailseal.store.Database.open(gw.config())) {
                new org.mailseal.auth.UserStore(db.dataSource(), new org.mailseal.auth.PasswordHasher(1024, 1)).add("alice@example.com", "s3cret-pass");
            }
            Process pr = new ProcessBuilder(swaks, "--server", "127.0.0.1", "--port", String.valueOf(port),
                    "--from", "alice@example.com", "--to", "friend@elsewhere.test", "--tls",
                    "--auth", "PLAIN", "--auth-user", "alice@example.com", "--auth-password", "s3cret-pass",
                    "--header", "Subject: outbound test")
                    .redirectErrorStream(true).start();
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(pr.exitValue()).as(out).isZero();
            assertThat(out).contains("235 2.7.0", "250 2.0.0 Ok: queued as");
            assertThat(sink.messages).hasSize(1);
            assertThat(sink.messages.get(0).text()).contains("with ESMTPSA", "Subject: outbound test");
        }
    }

    @Test
    void swaksWithoutAuthCannotRelayOutbound() throws Exception {
        String swaks = Peers.require("swaks", "swaks");
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port()))) {
            Process pr = new ProcessBuilder(swaks, "--server", "127.0.0.1", "--port", String.valueOf(port),
                    "--from", "spammer@internet.test", "--to", "victim@elsewhere.test")
                    .redirectErrorStream(true).start();
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(pr.exitValue()).as(out).isNotZero();
            assertThat(out).contains("554 5.7.1");
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void multipleRoutesAreSplitIntoGroups() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink a = new CapturingSink(); CapturingSink b = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, a.port(),
                     "domains: {local: [example.com, other.example]}",
                     "networks: {trusted: [], xforward: []}"
             ).replace("tls: none,", "tls: none, routes: {other.example: {nexthop: \"[127.0.0.1]:" + b.port() + "\"}},"));
             var c = new org.mailseal.testkit.SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO x.test");
            c.expect("250");
            assertThat(c.sendMail("s@internet.test", List.of("u@example.com", "v@other.example", "w@example.com"),
                    "Subject: split\r\n\r\nhi\r\n")).startsWith("250");
            assertThat(a.messages).hasSize(1);
            assertThat(a.messages.get(0).rcptTo()).hasSize(2);
            assertThat(b.messages).hasSize(1);
            assertThat(b.messages.get(0).rcptTo()).containsExactly("RCPT TO:<v@other.example>");
        }
    }
}
