package org.mailseal.crypto.pgp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailseal.Gateway;
import org.mailseal.cli.Main;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.ByteExact;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestGateway;

/**
 * The interoperability matrix: every corpus message, encrypted by mailseal to keys made by GnuPG,
 * Sequoia and mailseal itself (cv25519 and RSA-3072), must decrypt with gpg, sq and rnp back to the
 * original (see {@link ByteExact}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "sq=sq", "rnp=rnp", "rnpkeys=rnp"})
class InteropTest {

    static final String PASS = "interop-passphrase";
    Path dir;
    String gpg;
    String sq;
    String rnp;
    String rnpkeys;
    List<Corpus.Message> corpus;
    /** key source -> (message name -> what the sink received) */
    final Map<String, Map<String, byte[]>> encrypted = new LinkedHashMap<>();
    /** key source -> unprotected secret key file (for sq) */
    final Map<String, Path> secretFiles = new LinkedHashMap<>();
    Path gpgHome;
    Path rnpHome;

    @BeforeAll
    void encryptCorpusToEveryKey() throws Exception {
        gpg = Peers.require("gpg", "gnupg");
        sq = Peers.require("sq", "sq");
        rnp = Peers.require("rnp", "rnp");
        rnpkeys = Peers.require("rnpkeys", "rnp");
        dir = Files.createTempDirectory("interop");
        corpus = Corpus.load("encrypt");
        gpgHome = Files.createDirectories(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(gpgHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        rnpHome = Files.createDirectories(dir.resolve("rnp"));

        // Keys from each implementation.
        gpg("--passphrase", "", "--quick-gen-key", "<gpg-user@example.com>", "future-default", "default", "never");
        Files.write(dir.resolve("gpg-user.pub"), gpg("--armor", "--export", "gpg-user@example.com").out());
        Files.write(dir.resolve("gpg-user.sec"), gpg("--passphrase", "", "--armor", "--export-secret-keys", "gpg-user@example.com").out());
        Cmd.run(sq, "key", "generate", "--userid", "<sq-user@example.com>", "--export", dir.resolve("sq-user.sec").toString()).ok("sq key generate");
        Files.write(dir.resolve("sq-user.pub"), Cmd.run(sq, "key", "extract-cert", dir.resolve("sq-user.sec").toString()).ok("sq extract-cert").out());
        secretFiles.put("gpg", dir.resolve("gpg-user.sec"));
        secretFiles.put("sq", dir.resolve("sq-user.sec"));

        int sinkPortHolder;
        try (CapturingSink sink = new CapturingSink()) {
            sinkPortHolder = sink.port();
            int port = TestGateway.freePort();
            Path cfg = dir.resolve("mailseal.yml");
            Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sinkPortHolder,
                    "policy: {encrypt: mandatory, onMissingKey: tempfail}",
                    TestGateway.masterKeys(dir, "interop master")));
            // Import and generate through the CLI, as an admin would.
            assertThat(Main.run("keys", "import", dir.resolve("gpg-user.pub").toString(), "-c", cfg.toString())).isZero();
            assertThat(Main.run("keys", "import", dir.resolve("sq-user.pub").toString(), "-c", cfg.toString())).isZero();
            assertThat(Main.run("keys", "generate", "--email", "ms-cv@example.com", "--algo", "cv25519", "-c", cfg.toString())).isZero();
            assertThat(Main.run("keys", "generate", "--email", "ms-rsa@example.com", "--algo", "rsa3072", "-c", cfg.toString())).isZero();
            Path pw = dir.resolve("pw");
            Files.writeString(pw, PASS + "\n");
            var config = org.mailseal.config.ConfigLoader.load(cfg);
            try (Database db = Database.open(config)) {
                PgpKeyStore store = new PgpKeyStore(db.dataSource());
                var mk = MasterPassphrase.unlock(config, db.dataSource());
                for (String who : List.of("ms-cv", "ms-rsa")) {
                    String fpr = store.list(who + "@example.com").get(0).fingerprint();
                    // The user's copy, passphrase-protected, through the CLI (for gpg and rnp) ...
                    Path prot = dir.resolve(who + ".protected.asc");
                    var out = new java.io.ByteArrayOutputStream();
                    var old = System.out;
                    System.setOut(new java.io.PrintStream(out, true));
                    try {
                        assertThat(Main.run("keys", "export-secret", fpr, "--passphrase-file", pw.toString(), "-c", cfg.toString())).isZero();
                    } finally {
                        System.setOut(old);
                    }
                    Files.write(prot, out.toByteArray());
                    // ... and unprotected for sq 0.27, which cannot take a passphrase non-interactively.
                    PGPSecretKeyRing ring = store.secret(fpr, mk).orElseThrow();
                    Files.write(dir.resolve(who + ".sec"), PgpKeys.armor(ring.getEncoded()));
                    secretFiles.put(who, dir.resolve(who + ".sec"));
                    gpg("--passphrase", PASS, "--import", prot.toString());
                    Cmd.run(rnpkeys, "--homedir", rnpHome.toString(), "--import", prot.toString()).ok("rnpkeys import");
                }
            }
            gpg("--passphrase", "", "--import", dir.resolve("sq-user.sec").toString());
            for (String f : List.of("gpg-user.sec", "sq-user.sec")) {
                Cmd.run(rnpkeys, "--homedir", rnpHome.toString(), "--import", dir.resolve(f).toString()).ok("rnpkeys import " + f);
            }

            try (Gateway gw = TestGateway.start(Files.readString(cfg))) {
                Map<String, String> rcpt = Map.of("gpg", "gpg-user@example.com", "sq", "sq-user@example.com",
                        "ms-cv", "ms-cv@example.com", "ms-rsa", "ms-rsa@example.com");
                for (String source : List.of("gpg", "sq", "ms-cv", "ms-rsa")) {
                    Map<String, byte[]> got = new LinkedHashMap<>();
                    for (Corpus.Message m : corpus) {
                        int before = sink.messages.size();
                        String reply = Corpus.send(port, m, rcpt.get(source));
                        assertThat(reply).as(source + " " + m.name()).startsWith("250");
                        CapturingSink.Received r = sink.messages.get(before);
                        String text = r.text();
                        assertThat(text).as(m.name()).contains("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"");
                        assertThat(text).as(m.name() + ": no plaintext body outside").doesNotContain("Subject: " + subjectOf(m));
                        got.put(m.name(), ByteExact.armoredPart(text));
                    }
                    encrypted.put(source, got);
                }
            }
        }
    }

    private static String subjectOf(Corpus.Message m) {
        String s = new String(m.bytes(), StandardCharsets.ISO_8859_1);
        int i = s.indexOf("\r\nSubject: ");
        if (i < 0) {
            return "\u0000never";
        }
        String v = s.substring(i + 11, s.indexOf("\r\n", i + 11));
        return v.equals("[...]") ? "\u0000never" : v;
    }

    private Cmd.Result gpg(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(gpg, "--homedir", gpgHome.toString(), "--batch", "--pinentry-mode", "loopback"));
        a.addAll(List.of(args));
        return Cmd.run(a.toArray(new String[0])).ok("gpg " + String.join(" ", args));
    }

    @AfterAll
    void cleanup() throws Exception {
        if (dir != null) {
            Cmd.run("gpgconf", "--homedir", gpgHome.toString(), "--kill", "all");
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (String peer : List.of("gpg", "sq", "rnp")) {
            for (String source : List.of("gpg", "sq", "ms-cv", "ms-rsa")) {
                out.add(Arguments.of(peer, source));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} decrypts the corpus encrypted to a {1} key")
    @MethodSource("matrix")
    void peerDecryptsEveryCorpusMessageByteExact(String peer, String source) throws Exception {
        int n = 0;
        for (Corpus.Message m : corpus) {
            Path in = dir.resolve(peer + "-" + source + "-" + m.name() + ".asc");
            Files.write(in, encrypted.get(source).get(m.name()));
            Cmd.Result r = switch (peer) {
                case "gpg" -> Cmd.run(gpg, "--homedir", gpgHome.toString(), "--batch", "--pinentry-mode", "loopback",
                        "--passphrase", PASS, "--decrypt", in.toString());
                case "sq" -> Cmd.run(sq, "decrypt", "--recipient-key", secretFiles.get(source).toString(), in.toString());
                default -> Cmd.run(rnp, "--homedir", rnpHome.toString(), "--password", PASS, "--decrypt", in.toString(), "--output", "-");
            };
            assertThat(r.code()).as(peer + " decrypting " + m.name() + " (" + source + " key): " + r.err()).isZero();
            ByteExact.check(peer + "/" + source + "/" + m.name(), m.bytes(), r.out());
            n++;
        }
        assertThat(n).isEqualTo(corpus.size()).isGreaterThanOrEqualTo(40);
    }
}
