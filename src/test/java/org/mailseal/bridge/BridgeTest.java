package org.mailseal.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Flags;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailseal.Gateway;
import org.mailseal.mime.RawHeader;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestGateway;

/**
 * The decrypting IMAP bridge end to end: mail comes in over SMTP, the gateway encrypts it into the cloud
 * mailbox (GreenMail here), and a stock client (Python's imaplib) reads it through the bridge as the
 * original, byte for byte, every message of the corpus; RFC822.SIZE and the slices agree with the bytes
 * served; SEARCH finds words of the plaintext; a flag set through the bridge is set upstream; what the client
 * APPENDs is stored encrypted and read back plain; and no plaintext lies in any file under the data dir.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"python3=python3"})
class BridgeTest {

    static final String CANARY = "bridge-canary-4711";
    static final ObjectMapper JSON = new ObjectMapper();

    Path dir;
    GreenMail cloud;
    Gateway gw;
    int smtpPort;
    int imapPort;
    List<Corpus.Message> corpus;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("python3", "python3");
        dir = Files.createTempDirectory("bridge");
        int cloudSmtp = TestGateway.freePort();
        imapPort = TestGateway.freePort();
        cloud = new GreenMail(new ServerSetup[] {new ServerSetup(cloudSmtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
                new ServerSetup(imapPort, "127.0.0.1", ServerSetup.PROTOCOL_IMAP)});
        cloud.start();
        cloud.setUser("alice@example.com", "alice", "cloud-password-1");
        smtpPort = TestGateway.freePort();
        Path cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), smtpPort, 0, cloudSmtp, TestGateway.masterKeys(dir, "bridge master passphrase"),
                "policy: {encrypt: mandatory, onMissingKey: generate}",
                // alice sends from the loopback network; her Sent copy goes to the same cloud mailbox
                "networks: {trusted: [127.0.0.0/8], xforward: []}",
                "sentCopy: {enabled: true, imapUrl: \"imap://127.0.0.1:" + imapPort + "\", folder: Sent, retryInterval: 1s, requireTls: false}",
                "bridge: {enabled: true, listen: \"127.0.0.1:" + TestGateway.freePort() + "\", upstream: \"imap://127.0.0.1:" + imapPort
                        + "\", upstreamRequireTls: false, allowPlainLogin: true}"));
        alice(dir, cfg);
        gw = TestGateway.start(Files.readString(cfg));
        try (Store s = store()) {
            s.getFolder("Drafts").create(Folder.HOLDS_MESSAGES);
            s.getFolder("Sent").create(Folder.HOLDS_MESSAGES);
        }
        corpus = Corpus.load("encrypt");
    }

    /** alice@example.com, a user with the mailseal password "alice password 1" and her stored login "alice" to the cloud. */
    static void alice(Path dir, Path cfg) throws Exception {
        Path pw = dir.resolve("alice.pass");
        Files.writeString(pw, "alice password 1\n");
        assertThat(Cli.run("users", "add", "alice@example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isZero();
        Path cpw = dir.resolve("cloud.pass");
        Files.writeString(cpw, "cloud-password-1\n");
        assertThat(Cli.run("users", "imap-login", "alice@example.com", "--login", "alice", "--password-file", cpw.toString(), "-c", cfg.toString())
                .code()).isZero();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (cloud != null) {
            cloud.stop();
        }
        Cleanup.all(dir, gw);
    }

    Store store() throws Exception {
        Store s = Session.getInstance(new Properties()).getStore("imap");
        s.connect("127.0.0.1", imapPort, "alice", "cloud-password-1");
        return s;
    }

    /** The raw messages in a mailbox of the cloud, as the provider holds them. */
    List<byte[]> cloudMessages(String folder) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Store s = store()) {
            Folder f = s.getFolder(folder);
            f.open(Folder.READ_ONLY);
            for (Message m : f.getMessages()) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                m.writeTo(b);
                out.add(b.toByteArray());
            }
            f.close(false);
        }
        return out;
    }

    /**
     * The message served is the original, byte for byte: its header ends with the original header (every
     * field, in order, as it was) and its body is the original body. Before the original header stand only
     * trace fields (the gateway's and the provider's Received, Return-Path); besides, only the gateway's own
     * Authentication-Results and, where the original had no Content-Type, RFC 2045's default
     * {@code text/plain; charset=us-ascii} (it carried the header-protection markers) are added.
     */
    static void sameAsOriginal(String name, byte[] original, byte[] served) throws Exception {
        int oh = headerEnd(original);
        int sh = headerEnd(served);
        String o = new String(original, 0, oh, StandardCharsets.ISO_8859_1);
        String sv = new String(served, 0, sh, StandardCharsets.ISO_8859_1);
        RawHeader parsed = RawHeader.read(new ByteArrayInputStream(served), 1 << 24);
        boolean originalHasType = RawHeader.read(new ByteArrayInputStream(original), 1 << 24).first("Content-Type") != null;
        for (RawHeader.Field f : parsed.fields()) {
            String raw = new String(f.raw(), StandardCharsets.ISO_8859_1);
            boolean ours = f.is("Authentication-Results") && f.value().startsWith("gw.test");
            boolean defaultType = !originalHasType && f.is("Content-Type") && f.value().equals("text/plain; charset=us-ascii");
            if (ours || defaultType) {
                sv = sv.replace(raw, "");
            }
        }
        assertThat(sv).as(name + ": the header ends with the original header").endsWith(o);
        String before = sv.substring(0, sv.length() - o.length());
        for (String line : before.split("(?<=\n)")) {
            assertThat(line).as(name + ": only trace fields before the original header")
                    .matches("(?s)(Received:|Return-Path:|[ \t]).*");
        }
        assertThat(new String(served, sh, served.length - sh, StandardCharsets.ISO_8859_1)).as(name + ": body")
                .isEqualTo(new String(original, oh, original.length - oh, StandardCharsets.ISO_8859_1));
    }

    /** Where the header section ends: after its empty line (or the whole message when it has none). */
    static int headerEnd(byte[] m) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == '\n' && (i == 0 || (i + 1 < m.length && m[i + 1] == '\n') || (i + 2 < m.length && m[i + 1] == '\r' && m[i + 2] == '\n'))) {
                if (i == 0) {
                    return 1;
                }
                return m[i + 1] == '\n' ? i + 2 : i + 3;
            }
        }
        return m.length;
    }

    @Test
    @Order(1)
    void aStockClientReadsTheEncryptedMailboxAsTheOriginal() throws Exception {
        for (Corpus.Message m : corpus) {
            assertThat(Corpus.send(smtpPort, m, "alice@example.com")).as(m.name()).startsWith("250");
        }
        String canaryMail = "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: Quarterly figures\r\nMessage-ID: <canary@internet.test>\r\n"
                + "\r\nthe word is " + CANARY + "\r\n";
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com", canaryMail)).startsWith("250");
        List<byte[]> stored = cloudMessages("INBOX");
        assertThat(stored).hasSize(corpus.size() + 1);
        for (byte[] s : stored) {
            assertThat(new String(s, StandardCharsets.ISO_8859_1)).contains("multipart/encrypted").doesNotContain(CANARY);
        }
        Path draft = dir.resolve("draft.eml");
        Files.writeString(draft, "From: alice@example.com\r\nTo: carol@example.org\r\nSubject: a draft\r\n\r\ndraft text " + CANARY + "-draft\r\n");
        Path script = Path.of(getClass().getResource("/bridge/imap_client.py").toURI());
        Cmd.Result r = Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", CANARY, draft.toString());
        String output = r.ok("imap client").outText();
        Map<String, List<JsonNode>> steps = new HashMap<>();
        for (String line : output.split("\n")) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                steps.computeIfAbsent(n.get("step").asText(), k -> new ArrayList<>()).add(n);
            }
        }
        assertThat(steps.get("login").get(0).get("result").asText()).isEqualTo("OK");
        assertThat(steps.get("select").get(0).get("exists").asInt()).isEqualTo(corpus.size() + 1);
        List<JsonNode> fetched = steps.get("fetch");
        assertThat(fetched).hasSize(corpus.size() + 1);
        for (int i = 0; i < corpus.size(); i++) {
            JsonNode f = fetched.get(i);
            byte[] body = Base64.getDecoder().decode(f.get("body").asText());
            assertThat(f.get("size").asInt()).as(corpus.get(i).name() + ": RFC822.SIZE").isEqualTo(body.length);
            sameAsOriginal(corpus.get(i).name(), corpus.get(i).bytes(), body);
        }
        for (JsonNode s : steps.get("slices")) {
            assertThat(s.get("partial_ok").asBoolean()).as("partial of " + s.get("uid")).isTrue();
            assertThat(s.get("header_ok").asBoolean()).as("header of " + s.get("uid")).isTrue();
        }
        String canaryUid = fetched.get(corpus.size()).get("uid").asText();
        assertThat(steps.get("search").get(0).get("uids")).extracting(JsonNode::asText).containsExactly(canaryUid);
        assertThat(steps.get("search-subject").get(0).get("uids")).extracting(JsonNode::asText).contains(canaryUid);
        // SMALLER and LARGER go by the plaintext's size: just over the canary's, which its ciphertext is far over
        int limit = steps.get("search-smaller").get(0).get("limit").asInt();
        assertThat(stored.get(corpus.size()).length).isGreaterThan(2 * limit);
        List<String> small = new ArrayList<>();
        List<String> large = new ArrayList<>();
        for (JsonNode f : fetched) {
            (f.get("size").asInt() < limit ? small : large).add(f.get("uid").asText());
        }
        assertThat(small).contains(canaryUid);
        assertThat(steps.get("search-smaller").get(0).get("uids")).extracting(JsonNode::asText).containsExactlyInAnyOrderElementsOf(small);
        assertThat(steps.get("search-larger").get(0).get("uids")).extracting(JsonNode::asText).containsExactlyInAnyOrderElementsOf(large);
        // a flag set through the bridge is set at the provider
        try (Store s = store()) {
            Folder inbox = s.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            long first = Long.parseLong(fetched.get(0).get("uid").asText());
            assertThat(((jakarta.mail.UIDFolder) inbox).getMessageByUID(first).isSet(Flags.Flag.FLAGGED)).isTrue();
            inbox.close(false);
        }
        // what the client appended is stored encrypted, and read back as it was sent
        assertThat(steps.get("append").get(0).get("result").asText()).isEqualTo("OK");
        List<byte[]> drafts = cloudMessages("Drafts");
        assertThat(drafts).hasSize(1);
        assertThat(new String(drafts.get(0), StandardCharsets.ISO_8859_1)).contains("multipart/encrypted").doesNotContain(CANARY);
        assertThat(Base64.getDecoder().decode(steps.get("drafts").get(0).get("body").asText())).isEqualTo(Files.readAllBytes(draft));
        assertThat(steps.get("done")).isNotNull();
    }

    @Test
    @Order(2)
    void noPlaintextLiesUnderTheDataDir() throws Exception {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                if (text.contains(CANARY)) {
                    found.add(dir.relativize(p).toString());
                }
            }
        }
        assertThat(found).as("files holding the canary in plaintext").isEmpty();
        try (Stream<Path> files = Files.list(dir.resolve("data").resolve("bridge").resolve("cache"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".rec")).count()).as("the cache holds the messages (encrypted)")
                    .isGreaterThanOrEqualTo(corpus.size());
        }
    }

    /** The client's Sent copy of a message mailseal relayed is not stored a second time; another message is. */
    @Test
    @Order(3)
    void theClientsSentCopyOfARelayedMessageIsNotStoredTwice() throws Exception {
        String sent = "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: sent through mailseal\r\nMessage-ID: <sent-1@example.com>\r\n"
                + "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n\r\nsent once " + CANARY + "\r\n";
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "client.example.com", "alice@example.com", "bob@remote.test", sent)).startsWith("250");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> cloudMessages("Sent").size() == 1);
        Properties p = new Properties();
        try (Store bridge = Session.getInstance(p).getStore("imap")) {
            bridge.connect("127.0.0.1", gw.bridge().port(), "alice@example.com", "alice password 1");
            Folder f = bridge.getFolder("Sent");
            Session s = Session.getInstance(p);
            // as a client saves it after sending: the same message
            f.appendMessages(new Message[] {new jakarta.mail.internet.MimeMessage(s, new ByteArrayInputStream(sent.getBytes(StandardCharsets.UTF_8)))});
            assertThat(cloudMessages("Sent")).as("not stored twice").hasSize(1);
            String other = sent.replace("<sent-1@example.com>", "<sent-2@example.com>");
            f.appendMessages(new Message[] {new jakarta.mail.internet.MimeMessage(s, new ByteArrayInputStream(other.getBytes(StandardCharsets.UTF_8)))});
            List<byte[]> now = cloudMessages("Sent");
            assertThat(now).hasSize(2);
            for (byte[] m : now) {
                assertThat(new String(m, StandardCharsets.ISO_8859_1)).contains("multipart/encrypted").doesNotContain(CANARY);
            }
        }
    }

    /**
     * An attacker encrypts to alice's published key a message whose protected (inner) header says it is from
     * her boss, while its outer From, the one the mail's authentication checked, is the attacker's. The bridge
     * opens it but does not take the inner header: mailseal did not write it. Not with no storage seal inside,
     * not with a genuine seal copied out of another message (any user reads those in their own mail: it is
     * bound to that message's header and body), and not with a seal of the first format (bound to nothing).
     */
    @Test
    @Order(4)
    void anInnerHeaderASenderWroteDoesNotReplaceTheCheckedOne() throws Exception {
        Path cfg = dir.resolve("mailseal.yml");
        String fpr = Cli.run("keys", "list", "--email", "alice@example.com", "-c", cfg.toString()).out().strip().split("\\s+")[0];
        Path key = dir.resolve("alice.asc");
        Files.writeString(key, Cli.run("keys", "export", fpr, "-c", cfg.toString()).out());
        // seals this gateway made: one for another message, one of the first format (HMAC of the nonce alone)
        String copied;
        String legacy;
        try (org.mailseal.store.Database db = org.mailseal.store.Database.open(org.mailseal.config.ConfigLoader.load(cfg))) {
            org.mailseal.keys.StorageSeal seal = org.mailseal.keys.StorageSeal.load(dir.resolve("data"), db.dataSource());
            copied = seal.field(org.mailseal.keys.StorageSeal.digest("From: Boss <boss@example.com>\r\nSubject: lunch\r\n".getBytes(StandardCharsets.US_ASCII),
                    new ByteArrayInputStream("see you at noon\r\n".getBytes(StandardCharsets.US_ASCII))));
            byte[] k;
            try (java.sql.Connection c = db.dataSource().getConnection();
                    java.sql.ResultSet r = c.createStatement().executeQuery("SELECT secret FROM shared_secrets WHERE name = 'seal'")) {
                assertThat(r.next()).isTrue();
                k = r.getBytes(1);
            }
            byte[] nonce = new byte[16];
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(k, "HmacSHA256"));
            mac.update("mailseal stored copy v1".getBytes(StandardCharsets.US_ASCII));
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            legacy = org.mailseal.keys.StorageSeal.FIELD + ": v1; n=" + b64.encodeToString(nonce) + "; m=" + b64.encodeToString(mac.doFinal(nonce)) + "\r\n";
        }
        Map<String, String> variants = new java.util.LinkedHashMap<>();
        variants.put("", "encrypted by its sender, not by mailseal");
        variants.put(copied, "encrypted by its sender, not by mailseal");
        variants.put(legacy, "stored by an earlier mailseal, whose seal does not cover the message");
        org.mailseal.testkit.Gpg mallory = new org.mailseal.testkit.Gpg(dir.resolve("mallory"));
        int n = 0;
        try {
            mallory.run("--import", key.toString()).ok("import alice's key");
            for (Map.Entry<String, String> v : variants.entrySet()) {
                n++;
                Path inner = dir.resolve("inner" + n + ".eml");
                Files.writeString(inner, "Content-Type: text/plain; charset=us-ascii; protected-headers=\"v1\"\r\nFrom: Boss <boss@example.com>\r\n"
                        + "Subject: wire the money\r\n" + v.getKey() + "\r\nplease wire it today\r\n");
                String armored = mallory.run("--batch", "--trust-model", "always", "--armor", "--encrypt", "-r", fpr, "--output", "-", inner.toString())
                        .ok("encrypt").outText();
                String forged = "From: Mallory <mallory@evil.test>\r\nTo: alice@example.com\r\nSubject: ...\r\nMessage-ID: <forged-" + n + "@evil.test>\r\n"
                        + "MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"f1\"\r\n\r\n"
                        + "--f1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--f1\r\nContent-Type: application/octet-stream\r\n\r\n"
                        + armored.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n--f1--\r\n";
                Session s = Session.getInstance(new Properties());
                try (Store cloudStore = store()) {
                    Folder inbox = cloudStore.getFolder("INBOX");
                    inbox.appendMessages(new Message[] {new jakarta.mail.internet.MimeMessage(s, new ByteArrayInputStream(forged.getBytes(StandardCharsets.US_ASCII)))});
                }
                try (Store bridge = s.getStore("imap")) {
                    bridge.connect("127.0.0.1", gw.bridge().port(), "alice@example.com", "alice password 1");
                    Folder inbox = bridge.getFolder("INBOX");
                    inbox.open(Folder.READ_ONLY);
                    Message m = inbox.getMessage(inbox.getMessageCount());
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    m.writeTo(b);
                    String served = b.toString(StandardCharsets.UTF_8);
                    RawHeader h = RawHeader.read(new ByteArrayInputStream(b.toByteArray()), 1 << 20);
                    String what = v.getKey().isEmpty() ? "no seal" : v.getKey().contains("v1;") ? "a first-format seal" : "a seal copied from another message";
                    assertThat(served).as(what + ": opened").contains("please wire it today");
                    assertThat(h.value("From")).as(what).isEqualTo("Mallory <mallory@evil.test>");
                    assertThat(h.value("Subject")).as(what).isEqualTo("...");
                    assertThat(served).as(what).doesNotContain("boss@example.com");
                    assertThat(h.value(Unsealer.NOTE)).as(what).contains(v.getValue());
                    inbox.close(false);
                }
            }
        } finally {
            mallory.stop();
        }
    }

    @Test
    @Order(5)
    void aWrongPasswordOrAProviderThatIsDownGetsAClearAnswer() throws Exception {
        try (org.mailseal.testkit.SmtpClient c = new org.mailseal.testkit.SmtpClient(gw.bridge().port())) {
            assertThat(c.reply()).startsWith("* OK");
            c.send("a1 LOGIN alice@example.com \"wrong password\"");
            assertThat(c.reply()).startsWith("a1 NO [AUTHENTICATIONFAILED]");
            c.send("a2 SELECT INBOX");
            assertThat(c.reply()).startsWith("a2 BAD");
        }
        cloud.stop();
        try (org.mailseal.testkit.SmtpClient c = new org.mailseal.testkit.SmtpClient(gw.bridge().port())) {
            assertThat(c.reply()).startsWith("* OK");
            c.send("a1 LOGIN alice@example.com \"alice password 1\"");
            assertThat(c.reply()).startsWith("a1 NO [UNAVAILABLE]");
        }
    }
}
