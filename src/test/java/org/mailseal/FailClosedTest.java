package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.auth.PasswordHasher;
import org.mailseal.auth.UserStore;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * The fail-closed promises tried as an attacker would: no outsider binds a key to a user's address,
 * keys are generated only for known users and at a bounded rate, per-client limits and an AUTH flood
 * leave a normal client served without OutOfMemoryError, no client byte forges a log line, and an
 * authenticated user sends only as itself.
 */
class FailClosedTest {

    @TempDir
    Path dir;

    private Path master() throws Exception {
        Path m = dir.resolve("master.pass");
        Files.writeString(m, "fail closed master\n");
        Files.setPosixFilePermissions(m, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return m;
    }

    private static String send(int port, String rcpt, String msg, boolean utf8) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO attacker.test");
            c.expect("250");
            c.send("MAIL FROM:<mallory@attacker.test>" + (utf8 ? " SMTPUTF8" : ""));
            c.expect("250");
            c.send("RCPT TO:<" + rcpt + ">");
            String r = c.reply();
            if (!r.startsWith("250")) {
                return r;
            }
            c.send("DATA");
            c.expect("354");
            c.raw(msg + ".\r\n");
            return c.reply();
        }
    }

    @Test
    void noOutsiderBindsAKeyToAUsersAddress() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            // the worst case for an attacker's benefit: keys generated for any address of the domain
            String y = TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master() + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                    "domains: {local: [example.com], policies: {}}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            PGPSecretKeyRing alice = PgpKeys.generate("alice@example.com", "Alice", PgpKeys.Algo.CV25519);
            String aliceFpr;
            try (Database db = Database.open(cfg)) {
                aliceFpr = new PgpKeyStore(db.dataSource()).putCert(PgpKeys.publicRing(alice), false).fingerprint();
            }
            String msg = "From: mallory@attacker.test\r\nSubject: x\r\n\r\nfor alice only\r\n";
            List<String> replies = new ArrayList<>();
            try (Gateway gw = TestGateway.start(y)) {
                for (String rcpt : List.of("\"<alice@example.com>\"@example.com", "\"<ceo@partner.example>\"@example.com",
                        "alice%partner.example@example.com", "partner.example!alice@example.com", "\"alice@example.com\"@example.com",
                        "\"alice\"@example.com")) {
                    replies.add(send(port, rcpt, msg, false));
                }
                assertThat(replies).allSatisfy(r -> assertThat(r).startsWith("553 5.7.1"));
                // look-alikes that are valid addresses get keys of their own, never alice's binding
                assertThat(send(port, "ALICE@EXAMPLE.COM", msg, false)).startsWith("250");
                assertThat(send(port, "\u0430lice@example.com", msg, true)).startsWith("250"); // Cyrillic a
                assertThat(send(port, "alice@example.com", msg, false)).startsWith("250");
            }
            try (Database db = Database.open(cfg)) {
                PgpKeyStore store = new PgpKeyStore(db.dataSource());
                assertThat(store.list("alice@example.com")).extracting(PgpKeyStore.Entry::fingerprint).containsExactly(aliceFpr);
                assertThat(store.list("ceo@partner.example")).isEmpty();
                assertThat(store.list(null)).allSatisfy(e -> assertThat(e.emails()).allSatisfy(a -> assertThat(a).doesNotContain("\"", "<", "%", "!")));
            }
            // the upper-case one and alice's own went to alice's key and decrypt with it
            for (CapturingSink.Received m : sink.messages.subList(sink.messages.size() - 3, sink.messages.size())) {
                if (m.rcptTo().get(0).contains("\u0430lice")) {
                    continue;
                }
                String t = m.text();
                String armor = t.substring(t.indexOf("-----BEGIN PGP MESSAGE-----"), t.indexOf("-----END PGP MESSAGE-----") + 25);
                java.io.ByteArrayOutputStream clear = new java.io.ByteArrayOutputStream();
                PgpDecryptor.decrypt(new java.io.ByteArrayInputStream(armor.getBytes(StandardCharsets.US_ASCII)), alice, clear);
                assertThat(clear.toString(StandardCharsets.UTF_8)).contains("for alice only");
            }
        }
    }

    @Test
    void keysAreGeneratedOnlyForKnownUsersAndAtABoundedRate() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master() + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "policy: {encrypt: mandatory, onMissingKey: generate}",
                    "domains: {local: [example.com, open.example], policies: {open.example: {generateFor: 'info,team-*'}}}",
                    "limits: {keyGenerationsPerMinute: 3}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                new UserStore(db.dataSource(), new PasswordHasher(1024, 1)).add("bob@example.com", "bob-password-1");
            }
            String msg = "From: x@internet.test\r\nSubject: k\r\n\r\nhello\r\n";
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(send(port, "nobody@example.com", msg, false)).startsWith("550 5.7.1");
                assertThat(send(port, "bob@example.com", msg, false)).startsWith("250");
                assertThat(send(port, "team-a@open.example", msg, false)).startsWith("250");
                assertThat(send(port, "other@open.example", msg, false)).startsWith("550 5.7.1");
                assertThat(send(port, "info@open.example", msg, false)).startsWith("250");
                assertThat(send(port, "team-b@open.example", msg, false)).as("fourth key in a minute").startsWith("451 4.7.5");
                assertThat(send(port, "postmaster", msg, false)).as("RFC 5321 §4.5.1 bare postmaster").doesNotStartWith("501");
            }
            try (Database db = Database.open(cfg)) {
                PgpKeyStore store = new PgpKeyStore(db.dataSource());
                assertThat(store.list("nobody@example.com")).isEmpty();
                assertThat(store.list("bob@example.com")).hasSize(1);
                assertThat(store.list(null)).hasSize(3);
            }
        }
    }

    @Test
    void aMasterPassphraseFileOthersCanReadIsRefusedWithTheFix() throws Exception {
        Path m = dir.resolve("shared.pass");
        Files.writeString(m, "a shared master\n");
        Files.setPosixFilePermissions(m, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String y = TestGateway.yaml(dir.resolve("data"), TestGateway.freePort(), 0, TestGateway.freePort(),
                "keys: {masterPassphraseFile: \"" + m + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestGateway.start(y).close())
                .hasMessageContaining("keys.masterPassphraseFile").hasMessageContaining("group or others").hasMessageContaining("chmod 600 " + m);
        Files.setPosixFilePermissions(m, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        TestGateway.start(y).close();
    }

    /** An administrator's import wins over the key mailseal generated; a domain may opt in to routing local parts. */
    @Test
    void importedKeysWinAndRoutingIsADomainsChoice() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master() + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                    "domains: {local: [example.com, legacy.example], allowUntrustedRouting: [legacy.example]}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            String msg = "From: x@internet.test\r\nSubject: k\r\n\r\nfor dave\r\n";
            PGPSecretKeyRing imported = PgpKeys.generate("dave@example.com", "Dave", PgpKeys.Algo.CV25519);
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(send(port, "dave@example.com", msg, false)).startsWith("250"); // a key is generated
                try (Database db = Database.open(cfg)) {
                    new PgpKeyStore(db.dataSource()).putCert(PgpKeys.publicRing(imported), false);
                }
                assertThat(send(port, "dave@example.com", msg, false)).startsWith("250");
                // opted in: accepted at RCPT; still no key is ever generated for such an address
                assertThat(send(port, "\"a%b\"@legacy.example", msg, false)).as("opted in").startsWith("550 5.7.1")
                        .contains("no usable encryption key");
                assertThat(send(port, "\"a%b\"@example.com", msg, false)).as("not opted in").startsWith("553 5.7.1");
            }
            String t = sink.messages.get(1).text();
            String armor = t.substring(t.indexOf("-----BEGIN PGP MESSAGE-----"), t.indexOf("-----END PGP MESSAGE-----") + 25);
            java.io.ByteArrayOutputStream clear = new java.io.ByteArrayOutputStream();
            PgpDecryptor.decrypt(new java.io.ByteArrayInputStream(armor.getBytes(StandardCharsets.US_ASCII)), imported, clear);
            assertThat(clear.toString(StandardCharsets.UTF_8)).as("encrypted to the imported key").contains("for dave");
        }
    }

    /** A fresh JVM at -Xmx256m, as the issue measured it: floods, limits, log forgery. */
    @Test
    void floodsLeaveANormalClientServedAndLogsUnforged() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            Path cfgFile = dir.resolve("gw.yml");
            Files.writeString(cfgFile, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master() + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "limits: {maxConnections: 400, maxConnectionsPerClient: 20, maxAuthFailures: 1000, dataDeadline: 4s, dataTimeout: 3s}")
                    .replace("auth: {argon2MemoryKiB: 1024, argon2Iterations: 1}", "auth: {argon2MemoryKiB: 19456, argon2Iterations: 2}"));
            MailsealConfig cfg = ConfigLoader.parse("t", Files.readString(cfgFile));
            try (Database db = Database.open(cfg)) {
                new UserStore(db.dataSource(), new PasswordHasher(19456, 2)).add("alice@example.com", "alice-password-1");
            }
            Path log = dir.resolve("gw.log");
            try (GatewayProcess gw = GatewayProcess.start(cfgFile, log, port)) {
                // 1. 200 concurrent STARTTLS+AUTH attempts from 10 loopback addresses (20 each, the per-client limit)
                ExecutorService pool = Executors.newFixedThreadPool(200);
                List<Future<String>> auths = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    int n = i;
                    auths.add(pool.submit(() -> authAttempt(port, "127.0.1." + (1 + n % 10), "alice@example.com", "wrong-" + n)));
                }
                for (Future<String> f : auths) {
                    assertThat(f.get(120, TimeUnit.SECONDS)).matches("(535|454|421).*");
                }
                pool.shutdownNow();
                assertThat(gw.isAlive()).isTrue();

                // 2. 300 idle connections from one client: 20 served, the rest told 421; another client is still served
                List<Socket> idle = new ArrayList<>();
                int refused = 0;
                try {
                    for (int i = 0; i < 300; i++) {
                        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName("127.0.0.9"), 0);
                        s.setSoTimeout(10_000);
                        idle.add(s);
                        byte[] b = new byte[128];
                        int n = s.getInputStream().read(b);
                        if (n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("421 4.7.0")) {
                            refused++;
                        }
                    }
                    assertThat(refused).isEqualTo(280);
                    assertThat(authAttempt(port, "127.0.0.1", "alice@example.com", "alice-password-1")).startsWith("235");
                } finally {
                    for (Socket s : idle) {
                        s.close();
                    }
                }

                // 3. slowloris in DATA: one byte a second is cut off by the overall deadline
                try (SmtpClient c = new SmtpClient(port)) {
                    c.expect("220");
                    c.send("EHLO slow.test");
                    c.expect("250");
                    c.send("MAIL FROM:<s@slow.test>");
                    c.expect("250");
                    c.send("RCPT TO:<alice@example.com>");
                    c.expect("250");
                    c.send("DATA");
                    c.expect("354");
                    long start = System.nanoTime();
                    String got = null;
                    for (int i = 0; i < 20 && got == null; i++) {
                        try {
                            c.raw("x");
                            Thread.sleep(1000);
                        } catch (java.io.IOException closed) {
                            break;
                        }
                        if (c.closedByServer()) {
                            break;
                        }
                    }
                    assertThat((System.nanoTime() - start) / 1e9).isLessThan(12);
                }

                // 4. control characters in every client-supplied field
                try (SmtpClient c = new SmtpClient(port)) {
                    c.expect("220");
                    c.send("EHLO evil\u001b[31m.test");
                    c.reply();
                    c.send("XFORWARD NAME=x+0D+0Aforged ADDR=10.0.0.1 IDENT=id+0D+0AJan 01 status=sent");
                    c.reply();
                    c.send("MAIL FROM:<\"a\u001bb\"@attacker.test>");
                    c.reply();
                    c.send("IBAN-DE89370400440532013000 body line read as a command");
                    c.reply();
                    c.send("QUIT");
                }
                String user = Base64.getEncoder().encodeToString("\0x\r\nDec 02 mailseal/mailflow[x]: FORGED: status=sent\0pw".getBytes(StandardCharsets.UTF_8));
                authAttempt(port, "127.0.0.1", null, user);
                Thread.sleep(500);
            }
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            assertThat(text).doesNotContain("\u001b").doesNotContain("\r");
            assertThat(text.lines().filter(l -> l.contains("FORGED") || l.contains("Jan 01 status=sent")))
                    .allSatisfy(l -> assertThat(l).doesNotStartWith("Dec 02 mailseal/mailflow[x]").doesNotStartWith("Jan 01"));
            assertThat(text).contains("\\r\\nDec 02 mailseal/mailflow[x]: FORGED");
            assertThat(text).doesNotContain("IBAN-DE89370400440532013000").contains("unknown=1");
            assertThat(text).doesNotContain("OutOfMemoryError");
        }
    }

    // STARTTLS and AUTH PLAIN from a given loopback address; returns the AUTH reply (or the greeting's 421).
    private static String authAttempt(int port, String from, String user, String passwordOrResponse) throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0);
             SmtpClient c = new SmtpClient(s)) {
            String greet = c.reply();
            if (greet == null || greet.startsWith("421")) {
                return greet == null ? "421 closed" : greet;
            }
            c.send("EHLO flood.test");
            c.expect("250");
            c.send("STARTTLS");
            c.expect("220");
            c.startTls();
            c.send("EHLO flood.test");
            c.expect("250");
            String resp = user == null ? passwordOrResponse
                    : Base64.getEncoder().encodeToString(("\0" + user + "\0" + passwordOrResponse).getBytes(StandardCharsets.UTF_8));
            c.send("AUTH PLAIN " + resp);
            return c.reply();
        }
    }
}
