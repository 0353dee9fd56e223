package org.mailseal.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.Dovecot;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestCa;
import org.mailseal.testkit.TestGateway;

/**
 * The bridge in front of a real provider, Dovecot: mail encrypted by the gateway's inbound path lies
 * encrypted in Dovecot's Maildir; {@code mbsync} (isync) syncs the mailbox through the bridge over STARTTLS
 * (certificate checked) and gets the originals, and a second run transfers nothing; after a restart of
 * mailseal the cache is reused and a third run transfers nothing either (no UIDVALIDITY bump); two clients
 * at once read the same; a mailbox deleted and made again at the provider (a new UIDVALIDITY) is served
 * with its own messages, none from the old cache; a client in IDLE hears of new mail through the provider's
 * IDLE; and BODYSTRUCTURE and ENVELOPE of every corpus message are the ones Dovecot computes from the original.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"dovecot=dovecot-imapd", "mbsync=isync", "python3=python3", "mutt=mutt", "tmux=tmux", "root=Dovecot's master process drops to its own users"})
class BridgeDovecotTest {

    static final String CANARY = "dovecot-canary-5813";

    Path dir;
    Dovecot dovecot;
    CapturingSink sink;
    Gateway gw;
    String config;
    TestCa tls;
    int smtpPort;
    List<Corpus.Message> corpus;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("mbsync", "isync");
        Peers.require("python3", "python3");
        dir = Files.createTempDirectory("bridge-dovecot");
        dovecot = new Dovecot(dir.resolve("dovecot"), "alice", "cloud-password-1");
        sink = new CapturingSink();
        tls = TestCa.make(dir.resolve("ca"), "localhost");
        smtpPort = TestGateway.freePort();
        int bridgePort = TestGateway.freePort();
        Path cfg = dir.resolve("mailseal.yml");
        config = TestGateway.yaml(dir.resolve("data"), smtpPort, 0, sink.port(), TestGateway.masterKeys(dir, "dovecot bridge passphrase"),
                "policy: {encrypt: mandatory, onMissingKey: generate}",
                "bridge: {enabled: true, listen: \"127.0.0.1:" + bridgePort + "\", upstream: \"imap://127.0.0.1:" + dovecot.port()
                        + "\", upstreamRequireTls: false, idlePoll: 60s, certificate: \"" + tls.certificate() + "\", privateKey: \"" + tls.pkcs8Key() + "\"}");
        Files.writeString(cfg, config);
        BridgeTest.alice(dir, cfg);
        gw = TestGateway.start(config);
        corpus = Corpus.load("encrypt");
    }

    @AfterAll
    void tearDown() throws Exception {
        Cleanup.all(dir, gw, sink, dovecot);
    }

    Store provider() throws Exception {
        Store s = Session.getInstance(new Properties()).getStore("imap");
        s.connect("127.0.0.1", dovecot.port(), "alice", "cloud-password-1");
        return s;
    }

    /** Stores a message at the provider as it is (raw APPEND), as the provider's MTA would have delivered it. */
    void deliver(String mailbox, byte[] message) throws Exception {
        try (Store s = provider()) {
            IMAPFolder f = (IMAPFolder) s.getFolder(mailbox);
            if (!f.exists()) {
                f.create(Folder.HOLDS_MESSAGES);
            }
            org.eclipse.angus.mail.iap.Literal lit = new org.eclipse.angus.mail.iap.Literal() {
                @Override
                public int size() {
                    return message.length;
                }

                @Override
                public void writeTo(java.io.OutputStream os) throws java.io.IOException {
                    os.write(message);
                }
            };
            f.doCommand(p -> p.appenduid(f.getFullName(), new jakarta.mail.Flags(), null, lit));
        }
    }

    String mbsync(Path maildir) throws Exception {
        Files.createDirectories(maildir);
        Path rc = dir.resolve("mbsyncrc");
        Files.writeString(rc, String.join("\n",
                "IMAPAccount bridge",
                "Host localhost",
                "Port " + gw.bridge().port(),
                "User alice@example.com",
                "Pass \"alice password 1\"",
                "SSLType STARTTLS",
                "SystemCertificates no",
                "CertificateFile " + tls.caCertificate(),
                "",
                "IMAPStore remote",
                "Account bridge",
                "",
                "MaildirStore local",
                "Path " + maildir + "/",
                "Inbox " + maildir + "/INBOX",
                "SubFolders Verbatim",
                "",
                "Channel all",
                "Far :remote:",
                "Near :local:",
                "Patterns INBOX Archive",
                "Create Near",
                "Sync Pull",
                "SyncState *",
                ""));
        return Cmd.run("mbsync", "-c", rc.toString(), "-a").ok("mbsync").outText();
    }

    static List<byte[]> maildirMessages(Path box) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (Path p : files(box)) {
            out.add(Files.readAllBytes(p));
        }
        return out;
    }

    /** A Maildir's message files (new and cur), in UID order. */
    static List<Path> files(Path box) throws Exception {
        List<Path> all = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            if (Files.isDirectory(box.resolve(sub))) {
                try (Stream<Path> f = Files.list(box.resolve(sub))) {
                    f.forEach(all::add);
                }
            }
        }
        all.sort((a, b) -> Long.compare(uidOf(a), uidOf(b)));
        return all;
    }

    /**
     * A message as mbsync stored it, back in the form it was served: mbsync writes Maildir files with LF line
     * ends (CRLF again here) and adds its own X-TUID field (taken out).
     */
    static byte[] withoutTuid(byte[] m) {
        String s = new String(m, StandardCharsets.ISO_8859_1).replaceAll("(?<!\r)\n", "\r\n");
        int end = s.indexOf("\r\n\r\n");
        String head = s.substring(0, end + 2).replaceFirst("(?m)^X-TUID: [^\r\n]*\r?\n", "");
        return (head + s.substring(end + 2)).getBytes(StandardCharsets.ISO_8859_1);
    }

    // mbsync names files ...,U=<uid>:2,<flags>
    static long uidOf(Path p) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(",U=(\\d+)").matcher(p.getFileName().toString());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    @Order(1)
    void mbsyncGetsTheOriginalsThenNothingNew() throws Exception {
        for (Corpus.Message m : corpus) {
            int before = sink.messages.size();
            assertThat(Corpus.send(smtpPort, m, "alice@example.com")).as(m.name()).startsWith("250");
            byte[] encrypted = sink.messages.get(before).data();
            assertThat(new String(encrypted, StandardCharsets.ISO_8859_1)).contains("multipart/encrypted");
            deliver("INBOX", encrypted);
        }
        int before = sink.messages.size();
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com",
                "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: archived\r\n\r\narchived " + CANARY + "\r\n")).startsWith("250");
        deliver("Archive", sink.messages.get(before).data());
        Path maildir = dir.resolve("maildir");
        String first = mbsync(maildir);
        List<byte[]> inbox = maildirMessages(maildir.resolve("INBOX"));
        assertThat(inbox).as(first).hasSize(corpus.size());
        for (int i = 0; i < corpus.size(); i++) {
            BridgeTest.sameAsOriginal(corpus.get(i).name(), corpus.get(i).bytes(), withoutTuid(inbox.get(i)));
        }
        assertThat(new String(maildirMessages(maildir.resolve("Archive")).get(0), StandardCharsets.ISO_8859_1)).contains("archived " + CANARY);
        List<Path> after = files(maildir.resolve("INBOX"));
        String second = mbsync(maildir);
        assertThat(files(maildir.resolve("INBOX"))).as("the second run transfers nothing: " + second).isEqualTo(after);
        // at rest at the provider: ciphertext only
        List<String> plain = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dovecot.home())) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains(CANARY)) {
                    plain.add(p.toString());
                }
            }
        }
        assertThat(plain).as("the provider's files holding the canary").isEmpty();
    }

    @Test
    @Order(2)
    void afterARestartTheCacheIsReusedAndNothingIsDownloadedAgain() throws Exception {
        Path cache = dir.resolve("data").resolve("bridge").resolve("cache");
        long records;
        try (Stream<Path> f = Files.list(cache)) {
            records = f.filter(p -> p.toString().endsWith(".rec")).count();
        }
        assertThat(records).isGreaterThanOrEqualTo(corpus.size());
        gw.close();
        gw = TestGateway.start(config);
        List<Path> before = files(dir.resolve("maildir").resolve("INBOX"));
        String third = mbsync(dir.resolve("maildir"));
        assertThat(files(dir.resolve("maildir").resolve("INBOX"))).as("no re-download after a restart: " + third).isEqualTo(before);
        try (Stream<Path> f = Files.list(cache)) {
            assertThat(f.filter(p -> p.toString().endsWith(".rec")).count()).isEqualTo(records);
        }
    }

    @Test
    @Order(3)
    void twoClientsAtOnceReadTheSame() throws Exception {
        Path script = Path.of(getClass().getResource("/bridge/read_all.py").toURI());
        List<java.util.concurrent.Future<Cmd.Result>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 2; i++) {
                runs.add(ex.submit(() -> Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()),
                        "alice@example.com", "alice password 1", tls.caCertificate().toString())));
            }
            String a = runs.get(0).get().ok("client 1").outText();
            String b = runs.get(1).get().ok("client 2").outText();
            assertThat(a).isEqualTo(b).contains("messages " + corpus.size());
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void aMailboxMadeAgainAtTheProviderIsServedWithItsOwnMessages() throws Exception {
        long oldValidity;
        try (Store s = provider()) {
            IMAPFolder f = (IMAPFolder) s.getFolder("Archive");
            oldValidity = f.getUIDValidity();
            f.delete(true);
        }
        Thread.sleep(1100); // Dovecot's UIDVALIDITY is a timestamp
        int before = sink.messages.size();
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com",
                "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: another\r\n\r\nanother one\r\n")).startsWith("250");
        deliver("Archive", sink.messages.get(before).data());
        try (Store s = provider()) {
            assertThat(((IMAPFolder) s.getFolder("Archive")).getUIDValidity()).isNotEqualTo(oldValidity);
        }
        Path script = Path.of(getClass().getResource("/bridge/read_all.py").toURI());
        String out = Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", tls.caCertificate().toString(), "Archive").ok("client").outText();
        assertThat(out).contains("messages 1", "another one").doesNotContain("archived " + CANARY);
    }

    @Test
    @Order(5)
    void idleIsWokenByTheProvidersIdleNotByPolling() throws Exception {
        Path script = Path.of(getClass().getResource("/bridge/idle.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", tls.caCertificate().toString()).redirectErrorStream(true).start();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String first = r.readLine();
            assertThat(first).isEqualTo("idling");
            int before = sink.messages.size();
            assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com",
                    "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: news\r\n\r\nwhile idling\r\n")).startsWith("250");
            deliver("INBOX", sink.messages.get(before).data());
            String got = r.readLine();
            // bridge.idlePoll is 60s here: only the provider's IDLE can bring the news this fast
            assertThat(got).as("the client hears of the new message").startsWith("got * " + (corpus.size() + 1) + " EXISTS");
            double seconds = Double.parseDouble(got.replaceAll(".*after ([0-9.]+) s", "$1"));
            assertThat(seconds).isLessThan(15);
            assertThat(r.readLine()).startsWith("done t1 OK");
        } finally {
            p.destroy();
        }
    }

    /**
     * The structure the bridge computes from the plaintext is the one Dovecot computes from the same message:
     * every corpus message's BODYSTRUCTURE and ENVELOPE, through the bridge (of its encrypted copy) and from
     * Dovecot (of the original, stored as it is), compared case-insensitively (IMAP atoms are).
     */
    @Test
    @Order(6)
    void theStructureIsTheOneDovecotComputesFromThePlaintext() throws Exception {
        for (Corpus.Message m : corpus) {
            deliver("Plain", m.bytes());
        }
        Path script = Path.of(getClass().getResource("/bridge/structures.py").toURI());
        List<String> dovecotSays = Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(dovecot.port()), "alice",
                "cloud-password-1", "Plain").ok("structures at Dovecot").outText().lines().toList();
        List<String> bridgeSays = Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", "INBOX", tls.caCertificate().toString()).ok("structures through the bridge").outText().lines().toList();
        assertThat(dovecotSays).hasSize(2 * corpus.size());
        for (int i = 0; i < dovecotSays.size(); i++) {
            assertThat(bridgeSays.get(i).toLowerCase(java.util.Locale.ROOT)).as(corpus.get(i / 2).name())
                    .isEqualTo(dovecotSays.get(i).toLowerCase(java.util.Locale.ROOT));
        }
    }

    List<String> condstore(boolean viaBridge, String... modeAndArgs) throws Exception {
        Path script = Path.of(getClass().getResource("/bridge/condstore.py").toURI());
        List<String> cmd = new ArrayList<>(viaBridge
                ? List.of("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com", "alice password 1",
                        "Sync", tls.caCertificate().toString())
                : List.of("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(dovecot.port()), "alice", "cloud-password-1", "Sync", "-"));
        cmd.addAll(List.of(modeAndArgs));
        return Cmd.run(cmd.toArray(String[]::new)).ok("condstore.py " + String.join(" ", modeAndArgs) + (viaBridge ? " via the bridge" : " at Dovecot"))
                .outText().lines().toList();
    }

    static String value(List<String> lines, String key) {
        return lines.stream().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow(() -> new AssertionError(key + " missing in " + lines))
                .substring(key.length() + 1);
    }

    /**
     * CONDSTORE and QRESYNC (RFC 7162): the provider's MODSEQs pass through, so a client resynchronising through
     * the bridge gets what it would get from Dovecot itself, word for word: HIGHESTMODSEQ, the messages changed
     * since its last MODSEQ (FETCH CHANGEDSINCE, SEARCH MODSEQ), and VANISHED (EARLIER) for what another client
     * expunged meanwhile. A conditional STORE on a message changed since fails with [MODIFIED] (the provider's
     * own check), one on the current MODSEQ succeeds, and under QRESYNC an expunge is told as VANISHED.
     */
    @Test
    @Order(7)
    void condstoreAndQresyncGiveWhatTheProviderGives() throws Exception {
        for (int i = 1; i <= 5; i++) {
            int before = sink.messages.size();
            assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com",
                    "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: sync " + i + "\r\n\r\nsync " + i + "\r\n")).startsWith("250");
            deliver("Sync", sink.messages.get(before).data());
        }
        List<String> state = condstore(true, "state");
        assertThat(state).as("through the bridge and at Dovecot").isEqualTo(condstore(false, "state"));
        assertThat(state).contains("capabilities True True", "select OK").filteredOn(l -> l.startsWith("message ")).hasSize(5);
        String validity = value(state, "uidvalidity");
        String modseq = value(state, "highestmodseq");
        assertThat(Long.parseLong(modseq)).isPositive();
        // another client changes the mailbox at the provider: flags message 4, expunges message 2
        try (Store s = provider()) {
            IMAPFolder f = (IMAPFolder) s.getFolder("Sync");
            f.open(Folder.READ_WRITE);
            f.getMessageByUID(4).setFlag(jakarta.mail.Flags.Flag.FLAGGED, true);
            jakarta.mail.Message two = f.getMessageByUID(2);
            two.setFlag(jakarta.mail.Flags.Flag.DELETED, true);
            f.expunge(new jakarta.mail.Message[] {two});
            f.close(false);
        }
        List<String> resync = condstore(true, "resync", validity, modseq, "1:5");
        assertThat(resync).as("through the bridge and at Dovecot").isEqualTo(condstore(false, "resync", validity, modseq, "1:5"));
        assertThat(resync).contains("select OK", "highestmodseq-grew True", "vanished ['VANISHED (EARLIER) 2']", "enable ['* ENABLED QRESYNC']");
        assertThat(resync).filteredOn(l -> l.startsWith("changed ")).singleElement().asString().startsWith("changed uid=4 flags=\\Flagged modseq=");
        assertThat(value(resync, "search-modseq")).startsWith("OK ['* SEARCH 4 (MODSEQ ");
        List<String> store = condstore(true, "store", "4", modseq, "5");
        assertThat(store).containsExactly("stale-store OK [MODIFIED 4] []", "fresh-store OK False 1 True True", "expunge OK ['VANISHED 5'] []");
    }

    /**
     * A provider outage in the middle of a session: while Dovecot is down, the client's commands get
     * NO [UNAVAILABLE] (the session stays); once it is back, the next command finds the mailbox again under the
     * same UIDVALIDITY and the client goes on with the same UIDs, and an mbsync run transfers nothing again.
     */
    @Test
    @Order(8)
    void aProviderOutageGivesUnavailableThenTheSessionGoesOnWithTheSameUids() throws Exception {
        Path maildir = dir.resolve("maildir-outage"); // Archive was made anew at the provider in a test before
        mbsync(maildir);
        List<Path> synced = files(maildir.resolve("INBOX"));
        Path script = Path.of(getClass().getResource("/bridge/outage.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", tls.caCertificate().toString()).redirectErrorStream(true).start();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                java.io.Writer w = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            assertThat(r.readLine()).isEqualTo("ready " + synced.size());
            dovecot.stop();
            w.write("\n");
            w.flush();
            assertThat(r.readLine()).startsWith("down-noop NO [UNAVAILABLE]");
            assertThat(r.readLine()).startsWith("down-fetch NO [UNAVAILABLE]");
            assertThat(r.readLine()).isEqualTo("waiting");
            dovecot.start();
            w.write("\n");
            w.flush();
            assertThat(r.readLine()).isEqualTo("up-noop OK []");
            assertThat(r.readLine()).isEqualTo("up-uids " + synced.size() + " True");
        } finally {
            p.destroy();
        }
        String again = mbsync(maildir);
        assertThat(files(maildir.resolve("INBOX"))).as("nothing downloaded again after the outage: " + again).isEqualTo(synced);
    }

    /** The mutt under tmux of {@link #muttReadsSearchesRepliesAndMovesUnderTmux}: keys in, screen out. */
    record Tmux(String socket, String session) {
        void keys(String... keys) throws Exception {
            Cmd.run(Cmd.concat(List.of("tmux", "-L", socket, "send-keys", "-t", session), keys)).ok("tmux send-keys");
        }

        void type(String text) throws Exception {
            Cmd.run("tmux", "-L", socket, "send-keys", "-t", session, "-l", text).ok("tmux send-keys");
        }

        String screen() throws Exception {
            return Cmd.run("tmux", "-L", socket, "capture-pane", "-p", "-t", session).outText();
        }

        /** The screen once {@code test} holds for it (30 s at most). */
        String await(String what, java.util.function.Predicate<String> test) throws Exception {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                last = screen();
                if (test.test(last)) {
                    return last;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("mutt's screen never showed " + what + "; it shows:\n" + last);
        }

        String await(String text) throws Exception {
            return await("\"" + text + "\"", s -> s.contains(text));
        }
    }

    /**
     * A stock terminal client: mutt, under tmux, reads a mailbox through the bridge over STARTTLS (certificate
     * checked): the index shows the subjects, the pager the plaintext body (a capture of the screen is kept in
     * target/bridge-mutt-screen.txt); a body search ({@code =b}, the server's SEARCH BODY over the plaintext)
     * finds the one message holding a word; a reply quotes the plaintext; a message saved to Trash and purged
     * is moved at the provider.
     */
    @Test
    @Order(9)
    void muttReadsSearchesRepliesAndMovesUnderTmux() throws Exception {
        String[][] mails = {{"mutt lunch plans", "Shall we try the new noodle place on Friday?"},
                {"mutt quarterly numbers", "Q3 revenue is up 12 percent, margin steady."},
                {"mutt holiday photos", "The sandcastle pictures are in the shared folder."}};
        for (String[] m : mails) {
            int before = sink.messages.size();
            assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "internet.test", "bob@internet.test", "alice@example.com",
                    "From: Bob <bob@internet.test>\r\nTo: alice@example.com\r\nSubject: " + m[0] + "\r\nMessage-ID: <" + m[0].replace(' ', '.')
                            + "@internet.test>\r\n\r\n" + m[1] + "\r\n")).startsWith("250");
            byte[] encrypted = sink.messages.get(before).data();
            assertThat(new String(encrypted, StandardCharsets.ISO_8859_1)).doesNotContain(m[1]);
            deliver("Mutt", encrypted);
        }
        int trashBefore;
        try (Store s = provider()) {
            trashBefore = s.getFolder("Trash").getMessageCount();
        }
        Path home = Files.createDirectories(dir.resolve("mutt-home"));
        Path sent = home.resolve("sent.eml");
        Path sendmail = home.resolve("sendmail");
        Files.writeString(sendmail, "#!/bin/sh\ncat > " + sent + "\n");
        Files.setPosixFilePermissions(sendmail, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path muttrc = home.resolve("muttrc");
        Files.writeString(muttrc, String.join("\n",
                "set folder=\"imap://alice%40example.com@localhost:" + gw.bridge().port() + "/\"",
                "set spoolfile=\"=Mutt\"",
                "set imap_pass=\"alice password 1\"",
                "set ssl_starttls=yes",
                "set ssl_force_tls=yes",
                "set ssl_ca_certificates_file=\"" + tls.caCertificate() + "\"",
                "set imap_check_subscribed=no",
                "set header_cache=\"\"",
                "set message_cachedir=\"\"",
                "set from=\"alice@example.com\"",
                "set realname=\"Alice\"",
                "set sendmail=\"" + sendmail + "\"",
                "set editor=\"true\"",
                "set fast_reply=yes",
                "set include=yes",
                "set abort_unmodified=no",
                "set record=\"\"",
                "set copy=no",
                "set delete=yes",
                "set confirmappend=no",
                "set quit=yes",
                "set wait_key=no",
                "set move=no",
                "set sort=subject",
                ""));
        Tmux t = new Tmux("mailseal-test-" + ProcessHandle.current().pid(), "mutt");
        Cmd.run("tmux", "-L", t.socket(), "-f", "/dev/null", "new-session", "-d", "-s", t.session(), "-x", "132", "-y", "40", "-e", "HOME=" + home,
                "mutt -n -F " + muttrc).ok("tmux new-session");
        try {
            // the index: the three subjects, from the plaintext headers
            t.await("the three subjects", s -> java.util.Arrays.stream(mails).allMatch(m -> s.contains(m[0])));
            // read one
            t.keys("/");
            t.type("~s quarterly");
            t.keys("Enter");
            t.keys("Enter");
            String pager = t.await(mails[1][1]);
            Files.writeString(Path.of("target", "bridge-mutt-screen.txt"), pager);
            assertThat(pager).contains("Subject: mutt quarterly numbers", "From: Bob <bob@internet.test>").doesNotContain("-----BEGIN PGP", "pkcs7");
            // reply to it: the plaintext quoted
            t.keys("q");
            t.await("mutt holiday photos");
            t.keys("r");
            t.await("the compose menu", s -> s.contains("y:Send") || s.contains("Send"));
            t.keys("y");
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (!(Files.exists(sent) && Files.size(sent) > 0) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            String reply = Files.readString(sent);
            assertThat(reply).contains("To: Bob <bob@internet.test>", "Subject: Re: mutt quarterly numbers", "In-Reply-To: <mutt.quarterly.numbers@internet.test>",
                    "> " + mails[1][1]);
            // search the bodies (the server's SEARCH BODY): only the holiday message holds "sandcastle"
            t.keys("l");
            t.type("=b sandcastle");
            t.keys("Enter");
            String limited = t.await("only the holiday message", s -> s.contains("mutt holiday photos") && !s.contains("mutt lunch plans"));
            assertThat(limited).doesNotContain("mutt quarterly numbers");
            t.keys("l");
            t.type("~A");
            t.keys("Enter");
            t.await("all three again", s -> java.util.Arrays.stream(mails).allMatch(m -> s.contains(m[0])));
            // move one to Trash: saved there, then purged here
            t.keys("/");
            t.type("~s lunch");
            t.keys("Enter");
            t.keys("s");
            t.await("Save to mailbox");
            t.keys("C-u");
            t.type("=Trash");
            t.keys("Enter");
            t.keys("$");
            t.await("the lunch message gone", s -> !s.contains("mutt lunch plans") && s.contains("mutt holiday photos"));
            t.keys("q");
        } finally {
            Cmd.run("tmux", "-L", t.socket(), "kill-server");
        }
        try (Store s = provider()) {
            assertThat(s.getFolder("Mutt").getMessageCount()).isEqualTo(2);
            assertThat(s.getFolder("Trash").getMessageCount()).isEqualTo(trashBefore + 1);
        }
        Path script = Path.of(getClass().getResource("/bridge/read_all.py").toURI());
        String trash = Cmd.run("/usr/bin/python3", script.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", tls.caCertificate().toString(), "Trash").ok("read Trash").outText();
        assertThat(trash).contains("Subject: mutt lunch plans", mails[0][1]);
    }

    long providerLogins() throws Exception {
        return Files.readAllLines(dir.resolve("dovecot").resolve("dovecot.log")).stream().filter(l -> l.contains("Login: user=<alice>")).count();
    }

    /**
     * One session at the provider per user, shared by the user's client connections. A client with INBOX
     * selected that asks for another mailbox's STATUS (what Thunderbird and Apple Mail do all the time) needs
     * two connections at the provider: one for its selected mailbox, one for the rest. While one such client
     * is there, a second one costs the provider one login (its own selected mailbox), not two.
     */
    @Test
    @Order(10)
    void aUsersClientsShareOneSessionAtTheProvider() throws Exception {
        Path hold = Path.of(getClass().getResource("/bridge/hold.py").toURI());
        List<String> args = List.of("/usr/bin/python3", hold.toString(), "127.0.0.1", String.valueOf(gw.bridge().port()), "alice@example.com",
                "alice password 1", tls.caCertificate().toString(), "Trash");
        long start = providerLogins();
        Process p = new ProcessBuilder(Cmd.concat(args, "wait")).redirectErrorStream(true).start();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("select OK");
            assertThat(r.readLine()).startsWith("status OK");
            assertThat(r.readLine()).isEqualTo("ready");
            Thread.sleep(500); // Dovecot writes its log line after the login
            long before = providerLogins();
            assertThat(before - start).as("logins at the provider for the first client").isEqualTo(2);
            assertThat(Cmd.run(Cmd.concat(args, "nowait")).ok("second client").outText()).contains("status OK", "ready");
            Thread.sleep(500);
            assertThat(providerLogins() - before).as("logins at the provider for the second client").isEqualTo(1);
        } finally {
            p.destroy();
        }
    }
}
