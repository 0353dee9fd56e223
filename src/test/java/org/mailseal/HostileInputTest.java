package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * Hostile input: each ends in a defined SMTP reply or a correct delivery, never a crash or a hang,
 * and the gateway keeps serving afterwards. Encryption is on (mandatory, keys generated), so the
 * policy and MIME code sees every input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {

    Path dir;
    CapturingSink sink;
    Gateway gw;
    int port;
    int threadsBefore;

    @BeforeAll
    void start() throws Exception {
        dir = java.nio.file.Files.createTempDirectory("hostile");
        sink = new CapturingSink();
        port = TestGateway.freePort();
        gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                TestGateway.masterKeys(dir, "hostile master"),
                "limits: {maxConnections: 50, commandTimeout: 3s, dataTimeout: 3s, maxRecipients: 1000}"));
        threadsBefore = Thread.activeCount();
    }

    @AfterAll
    void stop() throws Exception {
        gw.close();
        sink.close();
        org.mailseal.testkit.Cmd.run("rm", "-rf", dir.toString());
    }

    private String send(List<String> rcpts, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO hostile.test");
            c.expect("250");
            return c.sendMail("x@hostile.test", rcpts, message);
        }
    }

    private void stillServes() throws Exception {
        assertThat(send(List.of("alice@example.com"), "Subject: still here\r\n\r\nok\r\n")).startsWith("250");
    }

    @Test
    void hundredThousandHeaders() throws Exception {
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            m.append("X-H").append(i).append(": v\r\n");
        }
        m.append("Subject: many\r\n\r\nbody\r\n");
        String r = send(List.of("alice@example.com"), m.toString());
        assertThat(r).matches("(250|552) .*");
        stillServes();
    }

    @Test
    void tenMegabyteHeaderLine() throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO hostile.test");
            c.expect("250");
            c.send("MAIL FROM:<x@hostile.test>");
            c.expect("250");
            c.send("RCPT TO:<alice@example.com>");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw("Subject: " + "a".repeat(10 * 1024 * 1024) + "\r\n\r\nbody\r\n.\r\n");
            assertThat(c.reply()).startsWith("5");
        }
        stillServes();
    }

    @Test
    void nulBytesAndInvalidUtf8() throws Exception {
        byte[] bad = {'S', 'u', 'b', 'j', 'e', 'c', 't', ':', ' ', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '\r', '\n', '\r', '\n',
            'a', 0, 'b', '\r', '\n'};
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO hostile.test");
            c.expect("250");
            c.send("MAIL FROM:<x@hostile.test> BODY=8BITMIME");
            c.expect("250");
            c.send("RCPT TO:<alice@example.com>");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw(bad);
            c.raw(".\r\n");
            assertThat(c.reply()).matches("(250|5\\d\\d) .*");
        }
        stillServes();
    }

    @Test
    void mimeNestedThousandLevelsAndEndlessBoundaryAndBadBase64() throws Exception {
        StringBuilder m = new StringBuilder("Subject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
        for (int i = 1; i < 1000; i++) {
            m.append("--b").append(i - 1).append("\r\nContent-Type: multipart/mixed; boundary=\"b").append(i).append("\"\r\n\r\n");
        }
        m.append("--b999\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n");
        assertThat(send(List.of("alice@example.com"), m.toString())).startsWith("250");
        String endless = "Subject: endless\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never\"\r\n\r\n--never\r\n"
                + "Content-Type: text/plain\r\n\r\n" + "line without end\r\n".repeat(10_000);
        assertThat(send(List.of("alice@example.com"), endless)).startsWith("250");
        String b64 = "Subject: garbage\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + "!!!!not*base64%%%%\r\n====\r\n@@@\r\n";
        assertThat(send(List.of("alice@example.com"), b64)).startsWith("250");
        assertThat(sink.messages.get(sink.messages.size() - 1).text()).contains("multipart/encrypted");
        stillServes();
    }

    @Test
    void tenThousandRecipients() throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO hostile.test");
            c.expect("250");
            c.send("MAIL FROM:<x@hostile.test>");
            c.expect("250");
            int ok = 0;
            int tooMany = 0;
            for (int i = 0; i < 10_000; i++) {
                c.send("RCPT TO:<u" + (i % 3) + "@example.com>");
                String r = c.reply();
                if (r.startsWith("250")) {
                    ok++;
                } else if (r.startsWith("452 4.5.3")) {
                    tooMany++;
                } else if (r.startsWith("421")) {
                    break; // too many errors: the server hangs up, as Postfix does
                }
            }
            assertThat(ok).isEqualTo(1000);
            assertThat(tooMany).isPositive();
        }
        stillServes();
    }

    @Test
    void slowlorisIsCutOffByTheTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.read(new byte[512]); // greeting
            long start = System.nanoTime();
            byte[] cmd = "EHLO slow.test\r\n".getBytes(StandardCharsets.US_ASCII);
            StringBuilder got = new StringBuilder();
            try {
                for (byte b : cmd) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(1000);
                    if (in.available() > 0) {
                        byte[] buf = new byte[512];
                        got.append(new String(buf, 0, in.read(buf), StandardCharsets.US_ASCII));
                        break;
                    }
                }
            } catch (java.io.IOException closed) {
                // the server hung up
            }
            assertThat((System.nanoTime() - start) / 1_000_000_000.0).isLessThan(15);
            assertThat(got.toString()).startsWith("421");
        }
        stillServes();
    }

    @Test
    void fiveHundredConcurrentConnections() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        int refused = 0;
        try {
            for (int i = 0; i < 500; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(10_000);
                sockets.add(s);
            }
            for (Socket s : sockets) {
                byte[] buf = new byte[256];
                int n = s.getInputStream().read(buf);
                String greeting = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
                if (greeting.startsWith("421 4.3.2") || greeting.startsWith("421 4.7.0")) { // the listener's limit or the per-client one
                    refused++;
                } else {
                    assertThat(greeting).startsWith("220");
                }
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(refused).isGreaterThanOrEqualTo(450);
        Thread.sleep(500);
        stillServes();
        assertThat(Thread.activeCount()).as("no thread leak").isLessThan(threadsBefore + 60);
    }
}
