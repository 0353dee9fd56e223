package org.mailseal.store;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.StorageSeal;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.StoreKeys;
import org.mailseal.testkit.TestGateway;
import org.slf4j.LoggerFactory;

/**
 * Two gateways on one PostgreSQL (the CI one, in a schema of its own): a key generated through node A's
 * store encrypts on node B; a policy change governs the other node within a second; a relay-key message
 * accepted by A and replayed at B is refused; after {@code keys rotate-master} both nodes go on sealing new
 * keys without a restart; the storage seal is the same on both; a singleton job runs once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"gpg=gnupg"})
class ClusterTest {

    Path dir;
    CapturingSink sinkA;
    CapturingSink sinkB;
    Gateway a;
    Gateway b;
    int portA;
    int portB;
    Path cfgA;
    Path cfgB;
    Gpg gpg;
    final ListAppender<ILoggingEvent> log = new ListAppender<>();

    String database() throws Exception {
        return org.mailseal.testkit.TestPostgres.schema("cluster_test", dir);
    }

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        dir = Files.createTempDirectory("cluster");
        String db = database();
        String keys = TestGateway.masterKeys(dir, "the cluster master passphrase");
        sinkA = new CapturingSink();
        sinkB = new CapturingSink();
        portA = TestGateway.freePort();
        portB = TestGateway.freePort();
        cfgA = dir.resolve("a.yml");
        cfgB = dir.resolve("b.yml");
        for (Object[] n : new Object[][] {{cfgA, "a-data", portA, sinkA}, {cfgB, "b-data", portB, sinkB}}) {
            Files.writeString((Path) n[0], TestGateway.yaml(dir.resolve((String) n[1]), (int) n[2], 0, ((CapturingSink) n[3]).port(), db, keys,
                    "domains: {local: [example.com]}", "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                    "policy: {encrypt: mandatory}", "authentication: {verifyInbound: false}"));
        }
        String c = cfgA.toString();
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", c).code()).isZero();
        Cli.Run relay = Cli.run("keys", "relay-key", "--domain", "example.com", "-c", c);
        assertThat(relay.code()).as(relay.err()).isZero();
        Path pw = dir.resolve("user.pass");
        Files.writeString(pw, "a user password\n");
        for (String u : List.of("carol@example.com", "dave@example.com", "erin@example.com")) {
            assertThat(Cli.run("users", "add", u, "--password-file", pw.toString(), "-c", c).code()).isZero();
        }
        Logger l = (Logger) LoggerFactory.getLogger("mailseal");
        log.start();
        l.addAppender(log);
        a = TestGateway.start(Files.readString(cfgA));
        b = TestGateway.start(Files.readString(cfgB));
    }

    @AfterAll
    void tearDown() throws Exception {
        ((Logger) LoggerFactory.getLogger("mailseal")).detachAppender(log);
        Cleanup.all(dir, a, b, sinkA, sinkB, gpg);
    }

    static String inbound(int port, String to, String body) throws Exception {
        return SmtpClient.submit(port, "mx.sender.test", "bob@sender.test", to,
                "From: bob@sender.test\r\nTo: " + to + "\r\nSubject: to the cluster\r\n\r\n" + body + "\r\n");
    }

    @Test
    @Order(1)
    void aKeyGeneratedThroughOneNodeEncryptsOnTheOther() throws Exception {
        assertThat(inbound(portB, "alice@example.com", "for alice via b")).startsWith("250");
        String got = sinkB.messages.get(sinkB.messages.size() - 1).text();
        assertThat(got).contains("multipart/encrypted").doesNotContain("for alice via b");
        assertThat(StoreKeys.decrypt(ConfigLoader.load(cfgA), "alice@example.com", got)).contains("for alice via b");
    }

    @Test
    @Order(2)
    void aPolicyChangeGovernsTheOtherNodeWithinASecond() throws Exception {
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=never", "-c", cfgA.toString()).code()).isZero();
        Thread.sleep(1100); // the nodes reuse a lookup for at most one second
        assertThat(inbound(portB, "alice@example.com", "plain now")).startsWith("250");
        assertThat(sinkB.messages.get(sinkB.messages.size() - 1).text()).contains("plain now");
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=", "-c", cfgA.toString()).code()).isZero();
        Thread.sleep(1100);
        assertThat(inbound(portB, "alice@example.com", "encrypted again")).startsWith("250");
        assertThat(sinkB.messages.get(sinkB.messages.size() - 1).text()).doesNotContain("encrypted again");
    }

    @Test
    @Order(3)
    void aRelayKeyMessageAcceptedByOneNodeIsRefusedWhenReplayedAtTheOther() throws Exception {
        MailsealConfig config = ConfigLoader.load(cfgA);
        gpg = new Gpg(dir.resolve("gnupg"));
        try (Database db = Database.open(config)) {
            PgpKeyStore store = new PgpKeyStore(db.dataSource());
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            Path sec = dir.resolve("alice.sec");
            Files.write(sec, PgpKeys.armor(store.secret(store.list("alice@example.com").get(0).fingerprint(), mk).orElseThrow().getEncoded()));
            Path relay = dir.resolve("relay.pub");
            Files.write(relay, PgpKeys.armor(store.cert(store.list("mailseal-relay@example.com").get(0).fingerprint()).orElseThrow().getEncoded()));
            gpg.run("--batch", "--import", sec.toString()).ok("import secret");
            gpg.run("--batch", "--import", relay.toString()).ok("import relay key");
        }
        Path inner = dir.resolve("inner.eml");
        Files.writeString(inner, "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: via relay key\r\n\r\nthe secret outbound body\r\n");
        String armored = gpg.run("--batch", "--trust-model", "always", "--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r",
                "mailseal-relay@example.com", "--output", "-", inner.toString()).ok("gpg sign+encrypt").outText();
        String msg = "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: ...\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\n\r\n" + armored.replace("\n", "\r\n").replace("\r\r\n", "\r\n") + "\r\n--b1--\r\n";
        int beforeA = sinkA.messages.size();
        assertThat(SmtpClient.submit(portA, "client.example.com", "alice@example.com", "bob@remote.test", msg)).startsWith("250");
        assertThat(sinkA.messages.get(beforeA).text()).contains("the secret outbound body");
        int beforeB = sinkB.messages.size();
        assertThat(SmtpClient.submit(portB, "client.example.com", "alice@example.com", "bob@remote.test", msg)).startsWith("5");
        assertThat(sinkB.messages).hasSize(beforeB);
    }

    @Test
    @Order(4)
    void afterRotateMasterBothNodesGoOnWithoutARestart() throws Exception {
        Path next = dir.resolve("next.pass");
        Files.writeString(next, "the next cluster master passphrase\n");
        Cli.Run r = Cli.run("keys", "rotate-master", "--new-passphrase-file", next.toString(), "-c", cfgA.toString());
        assertThat(r.code()).as(r.err()).isZero();
        // (both nodes read the same passphrase file here; on separate machines the admin updates each node's)
        assertThat(inbound(portB, "carol@example.com", "a key made on b after the rotation")).startsWith("250");
        assertThat(inbound(portA, "dave@example.com", "a key made on a after the rotation")).startsWith("250");
        assertThat(inbound(portB, "alice@example.com", "alice's old key, resealed")).startsWith("250");
        MailsealConfig config = ConfigLoader.load(cfgA);
        assertThat(StoreKeys.decrypt(config, "carol@example.com", sinkB.messages.get(sinkB.messages.size() - 2).text()))
                .contains("a key made on b after the rotation");
        assertThat(StoreKeys.decrypt(config, "dave@example.com", sinkA.messages.get(sinkA.messages.size() - 1).text()))
                .contains("a key made on a after the rotation");
        assertThat(StoreKeys.decrypt(config, "alice@example.com", sinkB.messages.get(sinkB.messages.size() - 1).text()))
                .contains("alice's old key, resealed");
    }

    @Test
    @Order(5)
    void twoNodesMeetingANewRecipientAtOnceMakeOneKey() throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(6);
        List<Callable<String>> sends = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int port = i % 2 == 0 ? portA : portB;
            int n = i;
            sends.add(() -> inbound(port, "erin@example.com", "first contact " + n));
        }
        for (Future<String> f : ex.invokeAll(sends)) {
            assertThat(f.get()).startsWith("250");
        }
        ex.shutdown();
        assertThat(Cli.run("keys", "list", "--email", "erin@example.com", "-c", cfgA.toString()).out().lines().count()).isEqualTo(1);
    }

    @Test
    @Order(6)
    void theStorageSealIsTheSameOnEveryNodeAndASharedQuarantineIsOne() throws Exception {
        MailsealConfig config = ConfigLoader.load(cfgA);
        try (Database db = Database.open(config)) {
            StorageSeal onA = StorageSeal.load(dir.resolve("a-data"), db.dataSource());
            StorageSeal onB = StorageSeal.load(dir.resolve("b-data"), db.dataSource());
            byte[] digest = StorageSeal.digest("Subject: one message\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    new java.io.ByteArrayInputStream(new byte[0]));
            String field = onA.field(digest);
            assertThat(onB.check(field.substring(field.indexOf(':') + 1), digest)).isEqualTo(StorageSeal.Check.BOUND);
            // quarantine.dir on shared storage: what one node quarantines, the other lists and opens
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            Path shared = dir.resolve("shared-quarantine");
            Path msg = dir.resolve("q.eml");
            Files.writeString(msg, "From: x@sender.test\r\nSubject: held\r\n\r\nheld body\r\n");
            String id = new org.mailseal.scan.Quarantine(shared, mk).put("Q1", "x@sender.test", List.of("alice@example.com"), "virus", msg);
            org.mailseal.scan.Quarantine other = new org.mailseal.scan.Quarantine(shared, mk);
            assertThat(other.list()).extracting(org.mailseal.scan.Quarantine.Entry::id).containsExactly(id);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            other.open(other.entry(id), out);
            assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("held body");
        }
    }

    @Test
    @Order(7)
    void aSingletonJobRunsOnOneNode() throws Exception {
        // Both gateways ran their housekeeping at start: the purge ran on one of them.
        assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("job discovered-keys-purge: ran on this node")))
                .hasSize(1);
        // And claims made at the same moment by two nodes: exactly one wins.
        MailsealConfig config = ConfigLoader.load(cfgA);
        try (Database db = Database.open(config)) {
            ClusterJobs x = new ClusterJobs(db.dataSource(), "x", Clock.systemUTC());
            ClusterJobs y = new ClusterJobs(db.dataSource(), "y", Clock.systemUTC());
            for (int round = 0; round < 5; round++) {
                String job = "test-job-" + round;
                ExecutorService ex = Executors.newFixedThreadPool(2);
                List<Future<Boolean>> won = ex.invokeAll(List.<Callable<Boolean>>of(() -> x.claim(job, Duration.ofHours(1)), () -> y.claim(job, Duration.ofHours(1))));
                ex.shutdown();
                assertThat(won.get(0).get() ^ won.get(1).get()).as("round " + round).isTrue();
                assertThat(x.claim(job, Duration.ofHours(1))).as("not again within the interval").isFalse();
            }
            try (Connection c = db.dataSource().getConnection();
                 ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM job_runs WHERE job = 'discovered-keys-purge'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }
}
