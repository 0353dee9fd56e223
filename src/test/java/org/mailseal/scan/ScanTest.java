package org.mailseal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Daemon;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.StoreKeys;
import org.mailseal.testkit.TestGateway;

/**
 * Scanning against real clamd (with a signature database built here: no download), spamd and rspamd
 * (their packaged rules), all on loopback: viruses rejected or quarantined, GTUBE tagged, quarantined
 * or rejected per domain, rspamd's reject honoured, a scanner down or a size limit never "clean", and
 * a quarantined message released end to end (it arrives encrypted).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"clamd=clamav-daemon", "sigtool=clamav", "spamd=spamd", "rspamd=rspamd"})
class ScanTest {

    static final String EICAR = org.mailseal.testkit.TestClamd.EICAR;
    static final String GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    Path dir;
    Daemon clamd;
    Daemon spamd;
    Daemon rspamd;
    int clamdPort;
    int spamdPort;
    int rspamdPort;

    @BeforeAll
    void startScanners() throws Exception {
        String spamdBin = Peers.require("spamd", "spamd");
        String rspamdBin = Peers.require("rspamd", "rspamd");
        dir = Files.createTempDirectory("scan");

        clamdPort = TestGateway.freePort();
        clamd = org.mailseal.testkit.TestClamd.start(dir, clamdPort);

        spamdPort = TestGateway.freePort();
        spamd = Daemon.start("spamd", List.of(spamdBin, "--listen=127.0.0.1:" + spamdPort, "--allowed-ips=127.0.0.1", "--max-children=2",
                "--pidfile=" + dir.resolve("spamd.pid"), "-s", "stderr"), Map.of(), dir.resolve("spamd.out"), spamdPort,
                java.time.Duration.ofSeconds(90));

        // rspamd with its packaged configuration, its workers moved to free loopback ports.
        rspamdPort = TestGateway.freePort();
        Path local = Files.createDirectories(dir.resolve("rspamd/local.d"));
        Files.writeString(local.resolve("worker-normal.inc"), "bind_socket = \"127.0.0.1:" + rspamdPort + "\";\n");
        Files.writeString(local.resolve("worker-controller.inc"), "bind_socket = \"127.0.0.1:" + TestGateway.freePort() + "\";\n");
        Files.writeString(local.resolve("worker-proxy.inc"), "bind_socket = \"127.0.0.1:" + TestGateway.freePort() + "\";\n");
        // The test's mail comes from 127.0.0.1, which rspamd treats as local (and skips checks for) by default.
        Files.writeString(local.resolve("options.inc"), "local_addrs = [];\n");
        // Its per-message log line (with "ip: ...") in a file the test reads.
        Files.writeString(local.resolve("logging.inc"), "type = \"file\";\nfilename = \"" + dir.resolve("rspamd.log") + "\";\nlevel = \"info\";\n");
        Files.createDirectories(dir.resolve("rspamd/db"));
        Files.createDirectories(dir.resolve("rspamd/run"));
        rspamd = Daemon.start("rspamd", List.of(rspamdBin, "-f", "-u", "root", "-g", "root", "-c", "/etc/rspamd/rspamd.conf",
                "--var=LOCAL_CONFDIR=" + dir.resolve("rspamd"), "--var=DBDIR=" + dir.resolve("rspamd/db"), "--var=RUNDIR=" + dir.resolve("rspamd/run")),
                Map.of(), dir.resolve("rspamd.out"), rspamdPort, java.time.Duration.ofSeconds(90));
    }

    @AfterAll
    void stopScanners() throws Exception {
        for (Daemon d : new Daemon[] {rspamd, spamd, clamd}) {
            if (d != null) {
                d.close();
            }
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    // ---- gateway and mail ----

    record Gw(Gateway gateway, Path config, int port) implements AutoCloseable {
        @Override
        public void close() {
            gateway.close();
        }
    }

    Gw gateway(Path data, CapturingSink sink, String scan) throws Exception {
        int port = TestGateway.freePort();
        Files.createDirectories(data);
        Path master = data.resolve("../" + data.getFileName() + ".pass");
        Files.writeString(master, "scan test master\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path cfg = data.resolve("../" + data.getFileName() + ".yml");
        Files.writeString(cfg, TestGateway.yaml(data, port, 0, sink.port(),
                "domains: {local: [example.com, quarantine.test, strict.test, lenient.test, plain.test], policies: {plain.test: {encrypt: never}}}",
                "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                scan));
        return new Gw(TestGateway.start(Files.readString(cfg)), cfg, port);
    }

    String clamdAndSpamd() {
        return "scan: {clamd: {address: \"127.0.0.1:" + clamdPort + "\"}, spamd: {address: \"127.0.0.1:" + spamdPort + "\"}, "
                + "actions: {virus: reject, spam: tag, subjectTag: \"[SPAM]\"}, "
                + "domains: {quarantine.test: {virus: quarantine, spam: quarantine}, strict.test: {spam: reject}}}";
    }

    static String send(int port, String to, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO sender.test");
            c.expect("250");
            c.send("MAIL FROM:<bob@internet.test>");
            c.expect("250");
            c.send("RCPT TO:<" + to + ">");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            c.raw(message + ".\r\n");
            return c.reply();
        }
    }

    static String plain(String subject, String body) {
        return "From: bob@internet.test\r\nTo: someone\r\nSubject: " + subject + "\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
                + "Message-ID: <" + System.nanoTime() + "@internet.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n";
    }

    static String withEicar() {
        return "From: bob@internet.test\r\nTo: someone\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"att\"\r\n\r\n--att\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                + "--att\r\nContent-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"eicar.com\"\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(EICAR.getBytes(StandardCharsets.US_ASCII)) + "\r\n--att--\r\n";
    }

    // ---- tests ----

    @Test
    void cleanMailPassesAndIsEncrypted() throws Exception {
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("clean"), sink, clamdAndSpamd())) {
            assertThat(send(gw.port(), "alice@example.com", plain("hello", "an ordinary message about the weekly meeting"))).startsWith("250");
            assertThat(sink.messages).hasSize(1);
            assertThat(sink.messages.get(0).text()).contains("multipart/encrypted").doesNotContain("X-Spam-Flag");
            System.out.println("scan latency (clamd, spamd): " + latencies(gw));
        }
    }

    @Test
    void virusIsRejectedOrQuarantinedPerDomain() throws Exception {
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("virus"), sink, clamdAndSpamd())) {
            assertThat(send(gw.port(), "alice@example.com", withEicar())).startsWith("554 5.7.1").contains("Mailseal-Test.EICAR");
            assertThat(send(gw.port(), "bob@quarantine.test", withEicar())).startsWith("250");
            assertThat(sink.messages).isEmpty();
            Cli.Run list = Cli.run("quarantine", "list", "-c", gw.config().toString());
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out()).contains("virus Mailseal-Test.EICAR", "bob@quarantine.test");
            // Retention: entries older than the limit go.
            Thread.sleep(20);
            assertThat(Cli.run("quarantine", "purge", "--older-than", "10ms", "-c", gw.config().toString()).out()).contains("deleted 1 entries");
            assertThat(Cli.run("quarantine", "list", "-c", gw.config().toString()).out()).isBlank();
        }
    }

    @Test
    void clamdOverItsUnixSocket() throws Exception {
        String scan = "scan: {clamd: {socket: \"" + dir.resolve("clamd.sock") + "\"}}";
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("unix"), sink, scan)) {
            for (int i = 0; i < 3; i++) {
                assertThat(send(gw.port(), "alice@example.com", plain("ok " + i, "clean text"))).startsWith("250");
            }
            assertThat(send(gw.port(), "alice@example.com", withEicar())).startsWith("554 5.7.1");
            assertThat(sink.messages).hasSize(3);
        }
    }

    @Test
    void spamIsTaggedInsideTheEncryptionOrRejected() throws Exception {
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("spam"), sink, clamdAndSpamd())) {
            assertThat(send(gw.port(), "dave@strict.test", plain("cheap", GTUBE))).startsWith("550 5.7.1");
            assertThat(send(gw.port(), "alice@example.com", plain("cheap pills", GTUBE))).startsWith("250");
            String outer = sink.messages.get(0).text();
            assertThat(outer).contains("X-Spam-Flag: YES", "Subject: [SPAM] [...]").doesNotContain("X-Spam-Symbols", "X-Spam-Score", GTUBE);
            String inner = StoreKeys.decrypt(ConfigLoader.load(gw.config()), "alice@example.com", outer);
            assertThat(inner).contains("X-Spam-Flag: YES", "X-Spam-Symbols: ", "GTUBE", "Subject: [SPAM] cheap pills", GTUBE);
            assertThat(outer + inner).as("no internal field leaves the gateway").doesNotContainIgnoringCase("X-Spam-Subject-Tag");
            // delivered in plaintext (encrypt: never): tagged Subject, no internal field either
            assertThat(send(gw.port(), "erin@plain.test", plain("cheap plain", GTUBE))).startsWith("250");
            String plainCopy = sink.messages.get(1).text();
            assertThat(plainCopy).contains("Subject: [SPAM] cheap plain", "X-Spam-Flag: YES").doesNotContainIgnoringCase("X-Spam-Subject-Tag");
        }
    }

    @Test
    void quarantinedSpamIsReleasedAndArrivesEncrypted() throws Exception {
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("release"), sink, clamdAndSpamd())) {
            assertThat(send(gw.port(), "carol@quarantine.test", plain("spammy", GTUBE))).startsWith("250");
            assertThat(sink.messages).isEmpty();
            String c = gw.config().toString();
            Matcher m = Pattern.compile("^([0-9a-f]{32}) ", Pattern.MULTILINE).matcher(Cli.run("quarantine", "list", "-c", c).out());
            assertThat(m.find()).isTrue();
            String id = m.group(1);
            assertThat(Cli.run("quarantine", "show", id, "-c", c).out()).contains(GTUBE);
            Cli.Run rel = Cli.run("quarantine", "release", id, "-c", c);
            assertThat(rel.code()).as(rel.err()).isZero();
            assertThat(sink.messages).hasSize(1);
            String got = sink.messages.get(0).text();
            assertThat(got).contains("multipart/encrypted").doesNotContain(GTUBE);
            assertThat(StoreKeys.decrypt(ConfigLoader.load(gw.config()), "carol@quarantine.test", got)).contains(GTUBE, "Subject: spammy");
            assertThat(Cli.run("quarantine", "list", "-c", c).out()).doesNotContain(id);
        }
    }

    @Test
    void scannerDownOrSizeLimitIsNeverClean() throws Exception {
        int dead = TestGateway.freePort();
        String scan = "scan: {clamd: {address: \"127.0.0.1:" + clamdPort + "\", maxStreamSize: 64KiB}, spamd: {address: \"127.0.0.1:" + dead + "\"}, "
                + "domains: {lenient.test: {onFailure: deliver}}}";
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("down"), sink, scan)) {
            assertThat(send(gw.port(), "alice@example.com", plain("hi", "spamd is down"))).startsWith("451 4.7.0");
            assertThat(sink.messages).isEmpty();
            assertThat(send(gw.port(), "dan@lenient.test", plain("hi", "spamd is down"))).startsWith("250");
            String inner = StoreKeys.decrypt(ConfigLoader.load(gw.config()), "dan@lenient.test", sink.messages.get(0).text());
            assertThat(inner).contains("X-Mailseal-Scan: skipped (spamd: ");
        }
        // Over clamd's size limit: not scanned, so deferred.
        String big = plain("big", ("y".repeat(76) + "\r\n").repeat(1200));
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("big"), sink,
                "scan: {clamd: {address: \"127.0.0.1:" + clamdPort + "\", maxStreamSize: 64KiB}}")) {
            assertThat(send(gw.port(), "alice@example.com", big)).startsWith("451 4.7.0");
            assertThat(send(gw.port(), "alice@example.com", plain("small", "fits"))).startsWith("250");
        }
    }

    @Test
    void rspamdActionsAreHonoured() throws Exception {
        String scan = "scan: {rspamd: {url: \"http://127.0.0.1:" + rspamdPort + "\"}}";
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("rspamd"), sink, scan)) {
            assertThat(send(gw.port(), "alice@example.com", plain("cheap", GTUBE))).startsWith("550 5.7.1");
            assertThat(send(gw.port(), "alice@example.com", plain("minutes", "the minutes of yesterday's meeting are attached below, "
                    + "please review them before Friday"))).startsWith("250");
            assertThat(sink.messages).hasSize(1);
            System.out.println("scan latency (rspamd): " + latencies(gw));
        }
    }

    /** Behind Postfix the scanner must judge the original client (XFORWARD), not mailseal's loopback peer. */
    @Test
    void rspamdSeesTheXforwardClient() throws Exception {
        String scan = "scan: {rspamd: {url: \"http://127.0.0.1:" + rspamdPort + "\"}}";
        try (CapturingSink sink = new CapturingSink(); Gw gw = gateway(dir.resolve("rspamd-xf"), sink, scan);
             SmtpClient c = new SmtpClient(gw.port())) {
            c.expect("220");
            c.send("EHLO postfix.local");
            c.expect("250");
            c.send("XFORWARD NAME=mx.sender.example ADDR=203.0.113.77 HELO=mx.sender.example");
            c.expect("250");
            assertThat(c.sendMail("bob@internet.test", List.of("alice@example.com"), plain("xforward", "a plain note about the budget")))
                    .startsWith("250");
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(Files.exists(dir.resolve("rspamd.log")) ? Files.readString(dir.resolve("rspamd.log")) : "").contains("ip: 203.0.113.77"));
    }

    /** Mean scan time per scanner, from the gateway's Prometheus metrics. */
    static String latencies(Gw gw) {
        String m = gw.gateway().metrics().scrape();
        StringBuilder out = new StringBuilder();
        Matcher sum = Pattern.compile("mailseal_scan_latency_seconds_sum\\{scanner=\"(\\w+)\"} ([0-9.E-]+)").matcher(m);
        while (sum.find()) {
            Matcher cnt = Pattern.compile("mailseal_scan_latency_seconds_count\\{scanner=\"" + sum.group(1) + "\"} ([0-9.E-]+)").matcher(m);
            if (cnt.find()) {
                out.append(sum.group(1)).append(' ').append(String.format("%.1f ms", 1000 * Double.parseDouble(sum.group(2))
                        / Double.parseDouble(cnt.group(1)))).append("; ");
            }
        }
        return out.toString();
    }
}
