package org.mailseal.postfix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.PrivatePostfix;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.SmtpSinkProcess;
import org.mailseal.testkit.TestGateway;

/** mailseal as a before-queue milter (protocol 6) in a real, private Postfix: smtpd_milters = inet:127.0.0.1:PORT. */
public class PostfixMilterTest {

    @TempDir
    Path dir;

    int pf;
    int sinkPort;
    int milter;
    int smtp;
    Path cfg;

    void setup() throws Exception {
        pf = TestGateway.freePort();
        sinkPort = TestGateway.freePort();
        milter = TestGateway.freePort();
        smtp = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), smtp, 0, 1,
                "milter: {enabled: true, listen: \"127.0.0.1:" + milter + "\"}",
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                TestGateway.masterKeys(dir, "milter test master")));
    }

    PrivatePostfix postfix() throws Exception {
        return PrivatePostfix.start(pf, sinkPort, String.join("\n",
                "smtpd_milters = inet:127.0.0.1:" + milter,
                "milter_default_action = tempfail",
                "milter_protocol = 6"), "");
    }

    public static String send(int port, String from, String[] rcpts, String msg) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO milter.test");
            c.expect("250");
            c.send("MAIL FROM:<" + from + ">");
            String mail = c.reply();
            if (!mail.startsWith("250")) {
                return mail;
            }
            StringBuilder replies = new StringBuilder();
            for (String r : rcpts) {
                c.send("RCPT TO:<" + r + ">");
                replies.append(c.reply()).append('\n');
            }
            c.send("DATA");
            String data = c.reply();
            if (!data.startsWith("354")) {
                return replies + data;
            }
            c.raw(msg + ".\r\n");
            return replies + c.reply();
        }
    }

    static final String MSG = "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: milter secret\r\nContent-Type: text/plain\r\n\r\nmilter body text\r\n";

    @Test
    void encryptsInPlaceAndTempfailsRecipientsThatNeedAnotherForm() throws Exception {
        setup();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort);
             GatewayProcess gw = GatewayProcess.start(cfg, dir.resolve("gw.log"), smtp);
             PrivatePostfix p = postfix()) {
            String r = send(pf, "bob@internet.test", new String[] {"alice@example.com", "carol@elsewhere.test"}, MSG);
            assertThat(r).contains("451 4.7.1").contains("needs a separate delivery").contains("250 2.0.0 Ok: queued as");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 1);
            String dump = sink.messages().get(0);
            assertThat(dump).contains("X-Rcpt-Args: <alice@example.com>").doesNotContain("carol@elsewhere.test>")
                    .contains("Subject: [...]", "Content-Type: multipart/encrypted", "MIME-Version: 1.0")
                    .doesNotContain("milter body text").doesNotContain("milter secret").doesNotContain("Content-Type: text/plain");
            String inner = PostfixContentFilterTest.decrypt(cfg, "alice@example.com", dump);
            assertThat(inner).contains("Subject: milter secret", "Content-Type: text/plain;", "\r\n\r\nmilter body text\r\n");
            String log = Files.readString(dir.resolve("gw.log"));
            assertThat(log).contains("a milter cannot split a message").contains("to=<alice@example.com>, relay=milter, status=changed in place")
                    .containsPattern("milter: \\d+ header change\\(s\\), \\d+ added, body replaced, mta_queue_id=\\w+");
            // The separately retried recipient alone goes through unencrypted (outbound).
            String r2 = send(pf, "bob@internet.test", new String[] {"carol@elsewhere.test"}, MSG);
            assertThat(r2).contains("250 2.0.0 Ok: queued as");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 2);
        }
    }

    @Test
    void milterDownMeansTempfailAndNothingDelivered() throws Exception {
        setup();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); PrivatePostfix p = postfix()) {
            String r = send(pf, "bob@internet.test", new String[] {"alice@example.com"}, MSG);
            assertThat(r).startsWith("451 4.7.1");
            Thread.sleep(1000);
            assertThat(sink.count()).isZero();
            assertThat(p.queued()).isZero();
        }
    }
}
