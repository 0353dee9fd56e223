package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** Next-hop faults: the client must get 4xx for anything transient, so the sending MTA keeps the mail. */
class FaultTest {

    @TempDir
    Path dir;

    static final String MSG = "From: a@internet.test\r\nTo: u@example.com\r\nSubject: fault\r\n\r\nbody\r\n";

    private String send(int port, List<String> rcpts) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.test");
            c.expect("250");
            return c.sendMail("a@internet.test", rcpts, MSG);
        }
    }

    @Test
    void nextHopDownGives4xxAndARetryAfterRecoveryDeliversOnce() throws Exception {
        int hop = TestGateway.freePort(); // nothing listens here yet
        int port = TestGateway.freePort();
        try (Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, hop))) {
            String r = send(port, List.of("u@example.com"));
            assertThat(r).startsWith("451 4.4.1").contains("connect to");
            try (CapturingSink sink = new CapturingSinkOnPort(hop).sink) {
                assertThat(sink.messages).isEmpty();
                assertThat(send(port, List.of("u@example.com"))).startsWith("250");
                assertThat(sink.messages).hasSize(1);
            }
        }
    }

    /** Binds a sink on a chosen port (the one the gateway was told to use). */
    static final class CapturingSinkOnPort {
        final CapturingSink sink;

        CapturingSinkOnPort(int port) throws Exception {
            CapturingSink s = null;
            for (int i = 0; i < 50 && s == null; i++) {
                s = CapturingSink.onPort(port);
                if (s == null) {
                    Thread.sleep(100);
                }
            }
            sink = s;
            assertThat(sink).as("sink could bind port " + port).isNotNull();
        }
    }

    @Test
    void nextHopTemporaryFailuresGive4xx() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port()))) {
            // First, while no connection is pooled: a next hop that greets with 421.
            sink.mode(CapturingSink.Mode.GREETING_421);
            assertThat(send(port, List.of("u@example.com"))).startsWith("451");
            sink.mode(CapturingSink.Mode.MAIL_451);
            assertThat(send(port, List.of("u@example.com"))).startsWith("451");
            sink.mode(CapturingSink.Mode.DATA_451);
            assertThat(send(port, List.of("u@example.com"))).startsWith("451");
            sink.mode(CapturingSink.Mode.DROP_MID_DATA);
            assertThat(send(port, List.of("u@example.com"))).startsWith("451 4.4.2").contains("lost connection");
            assertThat(sink.messages).isEmpty();
            sink.mode(CapturingSink.Mode.OK);
            assertThat(send(port, List.of("u@example.com"))).startsWith("250");
            assertThat(sink.messages).hasSize(1);
        }
    }

    @Test
    void nextHopPermanentFailureIsPassedBackAs5xx() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port()))) {
            sink.mode(CapturingSink.Mode.DATA_554);
            assertThat(send(port, List.of("u@example.com"))).startsWith("554 5.7.0").contains("sink rejects content");
            sink.mode(CapturingSink.Mode.OK);
            sink.rcptRule(l -> l.contains("nobody@") ? "550 5.1.1 no such user" : null);
            assertThat(send(port, List.of("nobody@example.com"))).startsWith("550 5.1.1");
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void stalledNextHopTimesOutWith4xx() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port()).replace("dataDoneTimeout: 10s", "dataDoneTimeout: 2s"))) {
            sink.mode(CapturingSink.Mode.STALL_AFTER_DATA);
            long t0 = System.nanoTime();
            assertThat(send(port, List.of("u@example.com"))).startsWith("451 4.4.2").contains("timeout");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(15_000);
        }
    }

    @Test
    void oneRecipientRefusedOthersAcceptedGives250AndADsnWithoutTheBody() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port()))) {
            sink.rcptRule(l -> l.contains("nobody@") ? "550 5.1.1 no such user" : null);
            assertThat(send(port, List.of("u@example.com", "nobody@example.com"))).startsWith("250");
            assertThat(sink.messages).hasSize(2);
            CapturingSink.Received delivered = sink.messages.get(0);
            assertThat(delivered.rcptTo()).containsExactly("RCPT TO:<u@example.com>");
            CapturingSink.Received dsn = sink.messages.get(1);
            assertThat(dsn.mailFrom()).startsWith("MAIL FROM:<>");
            assertThat(dsn.rcptTo()).containsExactly("RCPT TO:<a@internet.test>");
            assertThat(dsn.text()).contains("multipart/report; report-type=delivery-status", "Final-Recipient: rfc822; nobody@example.com",
                    "Status: 5.1.1", "Action: failed", "text/rfc822-headers", "Subject: fault");
            assertThat(dsn.text()).as("no message body in a bounce").doesNotContain("\r\nbody\r\n");
        }
    }

    @Test
    void lmtpGivesEachRecipientItsOwnOutcome() throws Exception {
        int port = TestGateway.freePort();
        int lmtp = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, lmtp, sink.port()))) {
            sink.rcptRule(l -> l.contains("full@") ? "452 4.2.2 mailbox full" : l.contains("nobody@") ? "550 5.1.1 no such user" : null);
            try (SmtpClient c = new SmtpClient(lmtp)) {
                c.expect("220 gw.test LMTP");
                c.send("EHLO x.test");
                c.expect("500");
                c.send("LHLO x.test");
                c.expect("250");
                c.send("MAIL FROM:<a@internet.test>");
                c.expect("250");
                for (String r : List.of("u@example.com", "full@example.com", "nobody@example.com")) {
                    c.send("RCPT TO:<" + r + ">");
                    c.expect("250");
                }
                c.send("DATA");
                c.expect("354");
                c.raw(MSG + ".\r\n");
                // RFC 2033 §4.2: one reply per recipient, in order
                assertThat(c.reply()).startsWith("250 2.0.0 <u@example.com>");
                assertThat(c.reply()).startsWith("452 4.2.2 <full@example.com>");
                assertThat(c.reply()).startsWith("550 5.1.1 <nobody@example.com>");
                c.send("QUIT");
                c.expect("221");
            }
            assertThat(sink.messages).hasSize(1);
            assertThat(sink.messages.get(0).rcptTo()).containsExactly("RCPT TO:<u@example.com>");
        }
    }
}
