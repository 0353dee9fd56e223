package org.mailseal.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.postfix.PostfixMilterTest;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Daemon;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpSinkProcess;
import org.mailseal.testkit.TestGateway;

/**
 * The milter lane against a real MTA (Sendmail or Postfix, see the subclasses), at parity with the
 * content filter: inbound encryption, outbound decryption (relay key) and signing, scanning with
 * reject, the MTA's own tempfail when mailseal is down or killed mid-message (nothing lost, nothing in
 * plaintext), and 500 messages each accounted for. mailseal runs in its own JVM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MilterParitySuite {

    /** A running MTA with mailseal as its milter. */
    interface Mta extends AutoCloseable {
        long queued() throws Exception;
    }

    /** Starts the MTA on {@code smtpPort}, relaying to {@code sinkPort}, with the milter on {@code milterPort}. */
    abstract Mta startMta(int smtpPort, int sinkPort, int milterPort) throws Exception;

    /** The MTA's reply when the milter cannot be reached (F=T, milter_default_action = tempfail). */
    abstract String milterDownReply();

    static final String EICAR = org.mailseal.testkit.TestClamd.EICAR;

    Path dir;
    Path cfg;
    Gpg gpg;
    Daemon clamd;
    int smtp;
    int milter;
    int mtaPort;
    int sinkPort;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        dir = Files.createTempDirectory("milter-parity");
        int clamdPort = TestGateway.freePort();
        clamd = org.mailseal.testkit.TestClamd.start(dir, clamdPort);

        smtp = TestGateway.freePort();
        milter = TestGateway.freePort();
        mtaPort = TestGateway.freePort();
        sinkPort = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), smtp, 0, 1,
                "milter: {enabled: true, listen: \"127.0.0.1:" + milter + "\"}",
                // The MTA's loopback clients may send out (as its mynetworks would say).
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                "domains: {local: [example.com, quarantine.test]}",
                "scan: {clamd: {address: \"127.0.0.1:" + clamdPort + "\"}, domains: {quarantine.test: {virus: quarantine}}}",
                TestGateway.masterKeys(dir, "milter parity master")));
        String c = cfg.toString();
        Cli.Run relay = Cli.run("keys", "relay-key", "--domain", "example.com", "-c", c);
        assertThat(relay.code()).as(relay.err()).isZero();
        gpg = new Gpg(dir.resolve("gnupg"));
        gpg.run("--passphrase", "", "--quick-gen-key", "<alice@example.com>", "future-default", "default", "never");
        Files.write(dir.resolve("alice.pub"), gpg.run("--armor", "--export", "alice@example.com").out());
        assertThat(Cli.run("keys", "import", dir.resolve("alice.pub").toString(), "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "sign=openpgp", "-c", c).code()).isZero();
        try (org.mailseal.store.Database store = org.mailseal.store.Database.open(org.mailseal.config.ConfigLoader.load(cfg))) {
            org.mailseal.keys.PgpKeyStore ks = new org.mailseal.keys.PgpKeyStore(store.dataSource());
            Files.write(dir.resolve("relay.pub"), org.mailseal.crypto.pgp.PgpKeys.armor(ks.certsFor("mailseal-relay@example.com").get(0).getEncoded()));
        }
        gpg.run("--import", dir.resolve("relay.pub").toString());
    }

    @AfterAll
    void tearDown() throws Exception {
        if (clamd != null) {
            clamd.close();
        }
        if (gpg != null) {
            gpg.stop();
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    GatewayProcess gateway(String name) throws Exception {
        return GatewayProcess.start(cfg, dir.resolve(name + ".log"), smtp);
    }

    static String message(String from, String to, String subject, String body) {
        return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject.replace(' ', '-') + "@milter.test>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n";
    }

    /** A message from bob@internet.test with the EICAR file attached (base64). */
    static String withVirus(String to, String subject) {
        return "From: bob@internet.test\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"v\"\r\n\r\n--v\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                + "--v\r\nContent-Type: application/octet-stream; name=eicar.com\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + java.util.Base64.getMimeEncoder().encodeToString(EICAR.getBytes(StandardCharsets.US_ASCII)) + "\r\n--v--\r\n";
    }

    @Test
    void inboundMailIsEncryptedInPlaceAndDecryptsToTheOriginal() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); GatewayProcess gw = gateway("inbound");
             Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"},
                    message("bob@internet.test", "alice@example.com", "inbound secret", "inbound canary body"));
            assertThat(r).as(Files.readString(gw.log)).contains("250 2.0.0");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 1);
            String dump = sink.messages().get(0);
            assertThat(dump).contains("Content-Type: multipart/encrypted", "Subject: [...]", "Message-ID: <inbound-secret@milter.test>")
                    .doesNotContain("inbound canary body").doesNotContain("inbound secret");
            // Encrypted to alice's own (imported) key, which wins over one the gateway would make: gpg opens it.
            Path armored = dir.resolve("inbound.asc");
            Files.writeString(armored, dump.substring(dump.indexOf("-----BEGIN PGP MESSAGE-----"), dump.indexOf("-----END PGP MESSAGE-----") + 25));
            String inner = gpg.run("--decrypt", armored.toString()).outText();
            assertThat(inner).contains("Subject: inbound secret", "\r\n\r\ninbound canary body\r\n");
            assertThat(Files.readString(gw.log)).contains("to=<alice@example.com>, relay=milter, status=changed in place");
        }
    }

    @Test
    void outboundMailToTheRelayKeyIsDecryptedAndSigned() throws Exception {
        Path in = dir.resolve("outbound.eml");
        Files.writeString(in, message("alice@example.com", "carol@elsewhere.test", "outbound hello", "outbound plain body"));
        String armored = gpg.run("--trust-model", "always", "--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r",
                "mailseal-relay@example.com", "--output", "-", in.toString()).outText();
        String msg = "From: alice@example.com\r\nTo: carol@elsewhere.test\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n--b1\r\n"
                + "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
                + armored.replaceAll("\r?\n", "\r\n") + "\r\n--b1--\r\n";
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); GatewayProcess gw = gateway("outbound");
             Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r = PostfixMilterTest.send(mtaPort, "alice@example.com", new String[] {"carol@elsewhere.test"}, msg);
            assertThat(r).as(Files.readString(gw.log)).contains("250 2.0.0");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.count() == 1);
            String dump = sink.messages().get(0);
            assertThat(dump).contains("Subject: outbound hello", "outbound plain body", "multipart/signed; micalg=pgp-sha256")
                    .doesNotContain("BEGIN PGP MESSAGE");
            assertThat(Files.readString(gw.log)).contains("decrypted (", "relay key");
        }
    }

    @Test
    void aVirusIsRejectedByTheMta() throws Exception {
        String msg = withVirus("alice@example.com", "virus");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); GatewayProcess gw = gateway("virus");
             Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"}, msg);
            assertThat(r).as(Files.readString(gw.log)).containsPattern("(?m)^554 5\\.7\\.1");
            Thread.sleep(1000);
            assertThat(sink.count()).isZero();
            assertThat(mta.queued()).isZero();
        }
    }

    /**
     * A virus for a domain whose policy quarantines: mailseal keeps the message (sealed) and tells the MTA
     * to discard its copy, so no readable copy waits in the MTA's queue; the client hears 250.
     */
    @Test
    void aQuarantinedVirusIsKeptByMailsealAndDiscardedByTheMta() throws Exception {
        String msg = withVirus("carl@quarantine.test", "quarantined virus");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); GatewayProcess gw = gateway("quarantine");
             Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"carl@quarantine.test"}, msg);
            assertThat(r).as(Files.readString(gw.log)).contains("250 2.0.0");
            Thread.sleep(1500);
            assertThat(sink.count()).isZero();
            assertThat(mta.queued()).isZero();
            assertThat(Files.readString(gw.log)).contains("quarantined by mailseal; the MTA discards its copy");
            Cli.Run list = Cli.run("quarantine", "list", "-c", cfg.toString());
            assertThat(list.out()).contains("virus Mailseal-Test.EICAR", "carl@quarantine.test");
        }
    }

    @Test
    void mailsealDownMeansTheMtaTempfailsAndKeepsNothing() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"},
                    message("bob@internet.test", "alice@example.com", "while down", "down canary"));
            assertThat(r).contains(milterDownReply());
            Thread.sleep(1000);
            assertThat(sink.count()).isZero();
            assertThat(mta.queued()).isZero();
        }
    }

    /**
     * mailseal is killed with SIGKILL while the MTA streams it a large message: the client is told to
     * retry (4xx), the MTA keeps no copy and nothing reaches the sink; once mailseal is back the retried
     * message arrives encrypted.
     */
    @Test
    void killedMidMessageLosesNothingAndLeaksNothing() throws Exception {
        StringBuilder big = new StringBuilder();
        String line = "killed mid message canary line ".repeat(2) + "\r\n";
        while (big.length() < 1536 * 1024) { // under clamd's StreamMaxLength (2M), so the retry is scanned
            big.append(line);
        }
        String msg = message("bob@internet.test", "alice@example.com", "killed mid message", big.toString());
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); Mta mta = startMta(mtaPort, sinkPort, milter)) {
            String r;
            boolean[] killedWhileStreaming = new boolean[1];
            try (GatewayProcess gw = gateway("killed")) {
                Thread killer = new Thread(() -> {
                    try {
                        // As soon as mailseal has started writing the message's work file.
                        Path work = dir.resolve("data").resolve("spool").resolve("work");
                        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                        while (System.nanoTime() < deadline) {
                            if (Files.isDirectory(work)) {
                                try (var s = Files.list(work)) {
                                    if (s.anyMatch(p -> p.getFileName().toString().endsWith(".milter"))) {
                                        break;
                                    }
                                }
                            }
                            Thread.sleep(2);
                        }
                        killedWhileStreaming[0] = System.nanoTime() < deadline;
                        gw.kill9();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                killer.start();
                r = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"}, msg);
                killer.join();
                assertThat(gw.isAlive()).isFalse();
                assertThat(killedWhileStreaming[0]).as("killed while the MTA streamed the message to mailseal").isTrue();
            }
            assertThat(r).containsPattern("(?m)^4\\d\\d ");
            Thread.sleep(1000);
            assertThat(sink.count()).isZero();
            assertThat(mta.queued()).isZero();
            try (GatewayProcess again = gateway("killed-again")) {
                String r2 = PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"}, msg);
                assertThat(r2).contains("250 2.0.0");
                await().atMost(Duration.ofSeconds(60)).until(() -> sink.count() == 1);
                assertThat(sink.messages().get(0)).contains("multipart/encrypted").doesNotContain("canary");
            }
        }
    }

    /** 500 messages through MTA → milter → sink: each one arrives once, encrypted. */
    @Test
    void fiveHundredMessagesAreEachAccountedFor() throws Exception {
        int n = 500;
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort); GatewayProcess gw = gateway("load");
             Mta mta = startMta(mtaPort, sinkPort, milter)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                replies.add(pool.submit(() -> PostfixMilterTest.send(mtaPort, "bob@internet.test", new String[] {"alice@example.com"},
                        message("bob@internet.test", "alice@example.com", "load " + k, "load canary " + k))));
            }
            pool.shutdown();
            for (Future<String> f : replies) {
                assertThat(f.get()).contains("250 2.0.0");
            }
            await().atMost(Duration.ofMinutes(3)).until(() -> sink.count() >= n);
            Thread.sleep(1000);
            List<String> got = sink.messages();
            assertThat(got).hasSize(n);
            Set<String> ids = new HashSet<>();
            for (String m : got) {
                assertThat(m).contains("multipart/encrypted").doesNotContain("load canary");
                int at = m.indexOf("Message-ID: <load-");
                assertThat(at).as("a Message-ID of ours").isNotNegative();
                ids.add(m.substring(at, m.indexOf('>', at)));
            }
            assertThat(ids).hasSize(n);
            assertThat(mta.queued()).isZero();
        }
    }
}
