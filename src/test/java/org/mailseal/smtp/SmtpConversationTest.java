package org.mailseal.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** Scripted SMTP conversations against a running gateway, relaying to a capturing sink. */
class SmtpConversationTest {

    @TempDir
    Path dir;
    CapturingSink sink;
    Gateway gw;
    int port;

    static final String MSG = "From: a@internet.test\r\nTo: u@example.com\r\nSubject: t\r\n\r\nbody\r\n";

    @BeforeEach
    void start() throws Exception {
        sink = new CapturingSink();
        port = TestGateway.freePort();
        gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port(), "limits: {maxMessageSize: 10000, maxConnections: 3}"));
    }

    @AfterEach
    void stop() throws Exception {
        gw.close();
        sink.close();
    }

    SmtpClient connect() throws Exception {
        SmtpClient c = new SmtpClient(port);
        c.expect("220 gw.test ESMTP");
        return c;
    }

    @Test
    void ehloAdvertisesTheExtensionsAnMtaNeeds() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            String r = c.expect("250-gw.test");
            assertThat(r).contains("250-PIPELINING", "250-SIZE 10000", "250-8BITMIME", "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES",
                    "250-DSN", "250-STARTTLS", "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
            assertThat(r).as("AUTH only after STARTTLS").doesNotContain("AUTH");
        }
    }

    @Test
    void pipelinedTransactionGetsAllRepliesInOrder() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.raw("MAIL FROM:<a@internet.test>\r\nRCPT TO:<u@example.com>\r\nRCPT TO:<v@example.com>\r\nDATA\r\n");
            c.expect("250 2.1.0");
            c.expect("250 2.1.5");
            c.expect("250 2.1.5");
            c.expect("354");
            c.raw(MSG + ".\r\nQUIT\r\n");
            c.expect("250 2.0.0 Ok: queued as");
            c.expect("221");
        }
        assertThat(sink.messages).hasSize(1);
        assertThat(sink.messages.get(0).rcptTo()).hasSize(2);
    }

    @Test
    void dsnParametersArePassedOn() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test> RET=HDRS ENVID=QQ+2Bid BODY=8BITMIME SIZE=100");
            c.expect("250");
            c.send("RCPT TO:<u@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@example.com");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw(MSG + ".\r\n");
            c.expect("250");
        }
        CapturingSink.Received m = sink.messages.get(0);
        assertThat(m.mailFrom()).contains("RET=HDRS", "ENVID=QQ+2Bid", "BODY=8BITMIME", "SIZE=");
        assertThat(m.rcptTo().get(0)).contains("NOTIFY=FAILURE,SUCCESS", "ORCPT=rfc822;u@example.com");
    }

    @Test
    void dsnParametersAreDroppedWhenTheNextHopLacksDsn() throws Exception {
        sink.extensions(List.of("PIPELINING", "8BITMIME", "SMTPUTF8"));
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test> RET=HDRS");
            c.expect("250");
            c.send("RCPT TO:<u@example.com> NOTIFY=NEVER");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw(MSG + ".\r\n");
            c.expect("250");
        }
        assertThat(sink.messages.get(0).mailFrom()).doesNotContain("RET=");
        assertThat(sink.messages.get(0).rcptTo().get(0)).doesNotContain("NOTIFY");
    }

    @Test
    void smtputf8AddressesNeedTheParameterAndArePassedOn() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<józef@internet.test>");
            c.expect("553 5.6.7");
            c.send("MAIL FROM:<józef@internet.test> SMTPUTF8");
            c.expect("250");
            c.send("RCPT TO:<用户@example.com>");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw("Subject: grüße\r\n\r\nbody\r\n.\r\n");
            c.expect("250");
        }
        assertThat(sink.messages.get(0).mailFrom()).contains("józef@internet.test", "SMTPUTF8");
        assertThat(sink.messages.get(0).rcptTo().get(0)).contains("用户@example.com");
    }

    @Test
    void smtputf8MailIsRefusedWhenTheNextHopCannotTakeIt() throws Exception {
        sink.extensions(List.of("PIPELINING", "8BITMIME"));
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            String r = c.sendMail("józef@internet.test> SMTPUTF8 <", List.of(), "").toString();
            assertThat(r).isNotNull();
        } catch (AssertionError | Exception ignored) {
            // the helper's quoting above is not what we test; do it by hand below
        }
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<józef@internet.test> SMTPUTF8");
            c.expect("250");
            c.send("RCPT TO:<u@example.com>");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw(MSG + ".\r\n");
            c.expect("550 5.6.7");
        }
        assertThat(sink.messages).isEmpty();
    }

    @Test
    void startTlsResetsTheSessionAndDiscardsPipelinedPlaintext() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            // CVE-2011-0411: a command injected behind STARTTLS in the same packet must not run
            c.raw("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
            c.expect("220 2.0.0");
            c.startTls();
            c.send("MAIL FROM:<a@internet.test>");
            c.expect("503 5.5.1"); // RFC 3207 §4.2: state reset, EHLO needed again
            c.send("EHLO client.test");
            String ehlo = c.expect("250");
            assertThat(ehlo).doesNotContain("STARTTLS").contains("AUTH PLAIN LOGIN");
            c.send("STARTTLS");
            c.expect("503");
            String r = c.sendMail("a@internet.test", List.of("u@example.com"), MSG);
            assertThat(r).startsWith("250");
        }
        assertThat(sink.messages).hasSize(1);
        assertThat(sink.messages.get(0).text()).contains("with ESMTPS id", "(using TLSv1.");
    }

    @Test
    void bareLineFeedInDataIsRefusedAndNothingIsRelayed() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test>");
            c.expect("250");
            c.send("RCPT TO:<u@example.com>");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            // SMTP smuggling (CVE-2023-51764): "\n.\n" must never end the data
            c.raw("Subject: x\r\n\r\nhello\n.\nMAIL FROM:<smuggled@evil.test>\r\n.\r\n");
            c.expect("521 5.5.2");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(sink.messages).isEmpty();
    }

    @Test
    void bareCarriageReturnInCommandIsRefused() throws Exception {
        try (SmtpClient c = connect()) {
            c.raw("EHLO client.test\rMAIL FROM:<a@b.test>\r\n");
            c.expect("521 5.5.2");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void sizeIsEnforcedAtMailAndAtData() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test> SIZE=20000");
            c.expect("552 5.3.4");
            String big = "Subject: big\r\n\r\n" + ("x".repeat(70) + "\r\n").repeat(200);
            String r = c.sendMail("a@internet.test", List.of("u@example.com"), big);
            assertThat(r).startsWith("552 5.3.4");
            // the session is still in sync afterwards
            assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), MSG)).startsWith("250");
        }
        assertThat(sink.messages).hasSize(1);
    }

    @Test
    void longLinesGet500() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO " + "x".repeat(3000));
            c.expect("500 5.5.2");
            c.send("EHLO client.test");
            c.expect("250");
            String r = c.sendMail("a@internet.test", List.of("u@example.com"), "Subject: l\r\n\r\n" + "y".repeat(999) + "\r\n");
            assertThat(r).startsWith("500 5.5.2");
        }
        assertThat(sink.messages).isEmpty();
    }

    @Test
    void openRelayIsRefused() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test>");
            c.expect("250");
            c.send("RCPT TO:<someone@elsewhere.test>");
            c.expect("554 5.7.1");
            c.send("RCPT TO:<u@EXAMPLE.com>");
            c.expect("250");
        }
    }

    @Test
    void authIsRefusedBeforeTlsAndWorksAfter() throws Exception {
        try (var db = org.mailseal.store.Database.open(gw.config())) {
            new org.mailseal.auth.UserStore(db.dataSource(), new org.mailseal.auth.PasswordHasher(1024, 1)).add("alice@example.com", "correct horse");
        }
        String plain = java.util.Base64.getEncoder().encodeToString("\0alice@example.com\0correct horse".getBytes());
        String wrong = java.util.Base64.getEncoder().encodeToString("\0alice@example.com\0wrong".getBytes());
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            c.send("AUTH PLAIN " + plain);
            c.expect("538 5.7.11");
            c.send("STARTTLS");
            c.expect("220");
            c.startTls();
            c.send("EHLO client.test");
            c.expect("250");
            c.send("MAIL FROM:<alice@example.com>");
            c.expect("250");
            c.send("RCPT TO:<friend@elsewhere.test>");
            c.expect("554 5.7.1"); // not yet authenticated
            c.send("RSET");
            c.expect("250");
            c.send("AUTH PLAIN " + wrong);
            c.expect("535 5.7.8");
            c.send("AUTH LOGIN");
            c.expect("334 VXNlcm5hbWU6");
            c.send(java.util.Base64.getEncoder().encodeToString("alice@example.com".getBytes()));
            c.expect("334 UGFzc3dvcmQ6");
            c.send(java.util.Base64.getEncoder().encodeToString("correct horse".getBytes()));
            c.expect("235 2.7.0");
            // reject_sender_login_mismatch: only alice's own addresses, in MAIL FROM and in From (plaintext too)
            c.send("MAIL FROM:<ceo@example.com>");
            c.expect("553 5.7.1");
            assertThat(c.sendMail("alice@example.com", List.of("friend@elsewhere.test"), MSG.replace("From: a@internet.test", "From: ceo@example.com")))
                    .startsWith("553 5.7.1");
            assertThat(c.sendMail("alice@example.com", List.of("friend@elsewhere.test"), MSG.replace("From: a@internet.test",
                    "From: Alice <alice@example.com>"))).startsWith("250");
        }
        assertThat(sink.messages).hasSize(1);
        assertThat(sink.messages.get(0).text()).contains("with ESMTPSA").contains("From: Alice <alice@example.com>");
    }

    @Test
    void xforwardFromTrustedClientReachesTraceHeaderAndNextHop() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("EHLO postfix.test");
            c.expect("250");
            c.send("XFORWARD NAME=mx.sender.test ADDR=192.0.2.7 PROTO=ESMTP HELO=mx.sender.test IDENT=4Xyz1ABC");
            c.expect("250");
            c.send("XFORWARD BOGUS=1");
            c.expect("501");
            assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), MSG)).startsWith("250");
        }
        CapturingSink.Received m = sink.messages.get(0);
        assertThat(m.text()).contains("Received: from mx.sender.test (mx.sender.test [192.0.2.7])");
        assertThat(m.commands()).anyMatch(cmd -> cmd.startsWith("XFORWARD NAME=mx.sender.test ADDR=192.0.2.7"));
    }

    @Test
    void tooManyConnectionsGet421() throws Exception {
        SmtpClient a = connect();
        SmtpClient b = connect();
        SmtpClient c = connect();
        try (SmtpClient d = new SmtpClient(port)) {
            d.expect("421 4.3.2");
        } finally {
            a.close();
            b.close();
            c.close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gw.smtp().activeSessions() == 0);
        try (SmtpClient e = connect()) {
            e.send("QUIT");
            e.expect("221");
        }
    }

    @Test
    void commandsOutOfOrderGet503AndUnknownGet502() throws Exception {
        try (SmtpClient c = connect()) {
            c.send("MAIL FROM:<a@internet.test>");
            c.expect("503 5.5.1");
            c.send("EHLO client.test");
            c.expect("250");
            c.send("RCPT TO:<u@example.com>");
            c.expect("503 5.5.1");
            c.send("MAIL FROM:<a@internet.test>");
            c.expect("250");
            c.send("DATA");
            c.expect("503 5.5.1");
            c.send("FROB");
            c.expect("502 5.5.2");
            c.send("VRFY u@example.com");
            c.expect("502");
            c.send("MAIL FROM:<a@internet.test> FOO=bar");
            c.expect("503"); // nested MAIL
            c.send("RSET");
            c.expect("250");
            c.send("MAIL FROM:<a@internet.test> FOO=bar");
            c.expect("555 5.5.4");
            c.send("MAIL FROM:<not an address>");
            c.expect("501");
            c.send("NOOP");
            c.expect("250");
            c.send("QUIT");
            c.expect("221");
        }
    }

    @Test
    void mailLoopIsRejectedByHopCount() throws Exception {
        String looped = "Received: from a.test by b.test; Mon, 30 Nov 2026 09:00:00 +0000\r\n".repeat(50) + MSG;
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            // 50 Received fields plus ours: over limits.maxHops (50), RFC 5321 §6.3
            assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), looped)).startsWith("554 5.4.6");
            assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), MSG)).startsWith("250");
        }
        assertThat(sink.messages).hasSize(1);
    }

    @Test
    void dotStuffedLinesSurviveTheRoundTrip() throws Exception {
        String body = "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n";
        String stuffed = body.replace("\r\n.", "\r\n..");
        try (SmtpClient c = connect()) {
            c.send("EHLO client.test");
            c.expect("250");
            assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), stuffed)).startsWith("250");
        }
        assertThat(sink.messages.get(0).text()).endsWith(body);
    }
}
