package org.mailseal.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * PKCS#11 mode against a real SoftHSM2 token: the CA key, the relay keys (OpenPGP and S/MIME) and a
 * user's S/MIME key are generated inside the token; mailseal decrypts (gpg and openssl output) and signs
 * (verified by gpg and openssl) through it, and no private key is ever in the store or extractable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"softhsm2-util=softhsm2", "/usr/lib/softhsm/libsofthsm2.so=softhsm2", "gpg=gnupg", "openssl=openssl"})
class Pkcs11Test {

    static final String LIB = "/usr/lib/softhsm/libsofthsm2.so";
    Path dir;
    Path gpgHome;
    org.mailseal.testkit.Gpg gpgHelper;
    Path cfg;
    String gpg;
    String openssl;
    CapturingSink sink;
    Gateway gw;
    int port;
    Map<String, String> env;

    @BeforeAll
    void setUp() throws Exception {
        String util = Peers.require("softhsm2-util", "softhsm2");
        gpg = Peers.require("gpg", "gnupg");
        openssl = Peers.require("openssl", "openssl");
        if (!Files.exists(Path.of(LIB))) {
            Peers.require("/usr/lib/softhsm/libsofthsm2.so (missing)", "softhsm2");
        }
        String conf = System.getenv("SOFTHSM2_CONF");
        Assumptions.assumeTrue(conf != null, "run through Maven: surefire sets SOFTHSM2_CONF (pom.xml)");
        dir = Files.createTempDirectory("pkcs11");
        Path tokens = Files.createDirectories(dir.resolve("tokens"));
        Files.writeString(Path.of(conf), "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        env = Map.of("SOFTHSM2_CONF", conf);
        Cmd.Result init = Cmd.run(null, env, util, "--init-token", "--free", "--label", "mailseal", "--pin", "123456", "--so-pin", "654321")
                .ok("softhsm2-util --init-token");
        Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(init.outText() + init.err());
        assertThat(m.find()).as(init.outText()).isTrue();
        long slot = Long.parseLong(m.group(1));
        Path pin = dir.resolve("pin");
        Files.writeString(pin, "123456\n");
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "pkcs11 test master\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        gpgHelper = new org.mailseal.testkit.Gpg(dir.resolve("gnupg"));
        gpgHome = gpgHelper.home();
        gpg("--passphrase", "", "--quick-gen-key", "<alice@example.com>", "future-default", "default", "never");
        Files.write(dir.resolve("alice.pub"), gpg("--armor", "--export", "alice@example.com").out());

        sink = new CapturingSink();
        port = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1, pkcs11: {library: " + LIB
                        + ", slot: " + slot + ", pinFile: \"" + pin + "\"}}"));
        String c = cfg.toString();
        Cli.Run ca = Cli.run("ca", "init", "-c", c);
        assertThat(ca.code()).as(ca.err()).isZero();
        assertThat(ca.out()).contains("key in the PKCS#11 token");
        Cli.Run relay = Cli.run("keys", "relay-key", "--domain", "example.com", "-c", c);
        assertThat(relay.code()).as(relay.err()).isZero();
        assertThat(relay.out()).contains("in the PKCS#11 token", "S/MIME relay certificate for example.com");
        assertThat(Cli.run("ca", "issue", "--email", "alice@example.com", "-c", c).code()).isZero();
        assertThat(Cli.run("keys", "import", dir.resolve("alice.pub").toString(), "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "bob@example.com", "sign=openpgp", "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "sign=smime", "-c", c).code()).isZero();

        MailsealConfig config = ConfigLoader.load(cfg);
        try (Database db = Database.open(config)) {
            PgpKeyStore ks = new PgpKeyStore(db.dataSource());
            Files.write(dir.resolve("relay.pub"), PgpKeys.armor(ks.certsFor("mailseal-relay@example.com").get(0).getEncoded()));
            SmimeStore ss = new SmimeStore(db.dataSource());
            X509ToPem.write(ss.certsFor("alice@example.com").get(0), dir.resolve("alice.crt"));
            X509ToPem.write(ss.ca().orElseThrow().cert(), dir.resolve("ca.pem"));
            // Nothing sealed in the store: every private key is in the token.
            assertThat(ks.list(null)).noneMatch(PgpKeyStore.Entry::hasSecret);
            assertThat(ss.list(null)).noneMatch(SmimeStore.Entry::hasKey);
            assertThat(ss.ca().orElseThrow().sealedKey()).isEmpty();
        }
        gpg("--import", dir.resolve("relay.pub").toString());
        gw = TestGateway.start(Files.readString(cfg));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (dir != null) {
            gpgHelper.stop();
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    private Cmd.Result gpg(String... args) throws Exception {
        return gpgHelper.run(args);
    }

    private String send(String from, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            return c.sendMail(from, List.of("bob@remote.test"), message);
        }
    }

    static String inner(String from, String subject) {
        return "From: " + from + "\r\nTo: <bob@remote.test>\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n\r\nbody of " + subject + "\r\n";
    }

    @Test
    void tokenKeysAreHandlesOnly() throws Exception {
        MailsealConfig config = ConfigLoader.load(cfg);
        Pkcs11Token token = Pkcs11Token.open(config.keys().pkcs11());
        try (Database db = Database.open(config)) {
            SmimeStore ss = new SmimeStore(db.dataSource());
            String alias = new TokenKeys(db.dataSource()).alias(org.mailseal.crypto.smime.SmimeCerts.fingerprint(ss.ca().orElseThrow().cert())).orElseThrow();
            PrivateKey k = token.privateKey(alias);
            assertThat(Pkcs11Token.isTokenKey(k)).isTrue();
            assertThat(k.getEncoded()).as("a token key is not extractable").isNull();
        }
    }

    @Test
    void relayKeyInTheTokenDecryptsGpgMail() throws Exception {
        String m = inner("alice@example.com", "through the token");
        Path in = dir.resolve("relay.eml");
        Files.writeString(in, m);
        String armored = gpg("--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r", "mailseal-relay@example.com", "--output", "-",
                in.toString()).outText();
        String msg = "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n--b1\r\n"
                + "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
                + armored.replaceAll("\r?\n", "\r\n") + "\r\n--b1--\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", msg)).startsWith("250");
        // alice's policy signs with S/MIME (her key in the token): the decrypted message arrives signed.
        String got = sink.messages.get(before).text();
        assertThat(got).contains("Subject: through the token", "body of through the token", "application/pkcs7-signature");
        Path signed = dir.resolve("signed-by-alice.eml");
        Files.writeString(signed, got);
        Cmd.Result v = Cmd.run(openssl, "cms", "-verify", "-in", signed.toString(), "-CAfile", dir.resolve("ca.pem").toString(), "-out", "/dev/null");
        assertThat(v.code()).as(v.err()).isZero();
    }

    /**
     * An RSA session key whose ciphertext starts with a zero byte travels as a shorter MPI (about one
     * message in 256); the token wants the modulus length. Bouncy Castle encrypts session keys to the
     * relay key in the token until three such short ones came up, and the token opens each of them.
     */
    @Test
    void tokenOpensRsaSessionKeysWithLeadingZeroBytes() throws Exception {
        MailsealConfig config = ConfigLoader.load(cfg);
        Pkcs11Token token = Pkcs11Token.open(config.keys().pkcs11());
        try (Database db = Database.open(config)) {
            org.bouncycastle.openpgp.PGPPublicKeyRing ring = new PgpKeyStore(db.dataSource()).certsFor("mailseal-relay@example.com").get(0);
            PrivateKey key = token.privateKey(new TokenKeys(db.dataSource()).alias(PgpKeys.fingerprint(ring.getPublicKey())).orElseThrow());
            org.bouncycastle.openpgp.PGPPublicKey enc = null;
            for (org.bouncycastle.openpgp.PGPPublicKey k : ring) {
                if (k.isEncryptionKey()) {
                    enc = k;
                }
            }
            assertThat(enc).isNotNull();
            int modulusBytes = (((org.bouncycastle.bcpg.RSAPublicBCPGKey) enc.getPublicKeyPacket().getKey()).getModulus().bitLength() + 7) / 8;
            int shortOnes = 0;
            for (int i = 0; i < 5000 && shortOnes < 3; i++) {
                byte[] plain = ("session " + i).getBytes(StandardCharsets.US_ASCII);
                java.io.ByteArrayOutputStream ct = new java.io.ByteArrayOutputStream();
                org.bouncycastle.openpgp.PGPEncryptedDataGenerator g = new org.bouncycastle.openpgp.PGPEncryptedDataGenerator(
                        new org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder(org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags.AES_128)
                                .setWithIntegrityPacket(true));
                g.addMethod(new org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator(enc));
                try (java.io.OutputStream eo = g.open(ct, new byte[1024]);
                     java.io.OutputStream lo = new org.bouncycastle.openpgp.PGPLiteralDataGenerator().open(eo, 'b', "", plain.length, new java.util.Date())) {
                    lo.write(plain);
                }
                org.bouncycastle.bcpg.Packet p = new org.bouncycastle.bcpg.BCPGInputStream(new java.io.ByteArrayInputStream(ct.toByteArray())).readPacket();
                byte[] mpi = ((org.bouncycastle.bcpg.PublicKeyEncSessionPacket) p).getEncSessionKey()[0];
                if (mpi.length - 2 == modulusBytes) {
                    continue;
                }
                shortOnes++;
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                org.bouncycastle.openpgp.PGPPublicKey pub = enc;
                var cand = new org.mailseal.crypto.pgp.PgpDecryptor.Candidate(ring,
                        keyId -> org.mailseal.crypto.pgp.TokenDecryptorFactory.of(pub, key, token.provider()));
                assertThat(org.mailseal.crypto.pgp.PgpDecryptor.decrypt(new java.io.ByteArrayInputStream(ct.toByteArray()), List.of(cand), id -> null, out))
                        .as("session key MPI of %d bytes, modulus %d", mpi.length - 2, modulusBytes).isPresent();
                assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("session " + i);
            }
            assertThat(shortOnes).as("short session keys seen").isEqualTo(3);
        }
    }

    /**
     * Fresh gateways (each in its own JVM, so no provider was registered by an earlier S/MIME operation)
     * whose first work is OpenPGP mail decrypted with a key in the token: decrypted and relayed, never
     * the 5xx the gateway used to answer until some S/MIME operation had registered Bouncy Castle.
     */
    @Test
    void freshGatewayDecryptsOpenPgpWithTheRelayKeyInTheToken() throws Exception {
        freshGatewayRelays("alice@example.com", "mailseal-relay@example.com", "first after start");
    }

    @Test
    void freshGatewayDecryptsOpenPgpWithAUsersOwnKeyInTheToken() throws Exception {
        // dora's gateway-managed key is made in the token; she signs with her own client's key, registered too.
        Cli.Run gen = Cli.run("keys", "generate", "--email", "dora@example.com", "-c", cfg.toString());
        assertThat(gen.code()).as(gen.err()).isZero();
        String tokenFpr = gen.out().split(" ")[1];
        Cli.Run exp = Cli.run("keys", "export", tokenFpr, "-c", cfg.toString());
        assertThat(exp.code()).as(exp.err()).isZero();
        Files.writeString(dir.resolve("dora-token.pub"), exp.out());
        gpg("--import", dir.resolve("dora-token.pub").toString());
        gpg("--passphrase", "", "--quick-gen-key", "<dora@example.com>", "future-default", "default", "never");
        Files.write(dir.resolve("dora.pub"), gpg("--armor", "--export", "dora@example.com").out());
        assertThat(Cli.run("keys", "import", dir.resolve("dora.pub").toString(), "-c", cfg.toString()).code()).isZero();
        freshGatewayRelays("dora@example.com", tokenFpr + "!", "dora's own token key");
    }

    private void freshGatewayRelays(String sender, String encryptTo, String subject) throws Exception {
        int freshPort = org.mailseal.testkit.TestGateway.freePort();
        Path freshCfg = dir.resolve("fresh-" + freshPort + ".yml");
        Files.writeString(freshCfg, Files.readString(cfg).replace("127.0.0.1:" + port + "\"", "127.0.0.1:" + freshPort + "\""));
        Path in = dir.resolve("fresh-" + freshPort + ".eml");
        Files.writeString(in, inner(sender, subject));
        String armored = gpg("--trust-model", "always", "--sign", "-u", sender, "--armor", "--encrypt", "-r", encryptTo, "--output", "-",
                in.toString()).outText();
        String msg = "From: " + sender + "\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n--b1\r\n"
                + "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
                + armored.replaceAll("\r?\n", "\r\n") + "\r\n--b1--\r\n";
        int before = sink.messages.size();
        Path log = dir.resolve("fresh-" + freshPort + ".log");
        try (org.mailseal.testkit.GatewayProcess fresh = org.mailseal.testkit.GatewayProcess.start(freshCfg, log, freshPort);
             SmtpClient c = new SmtpClient(freshPort)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            assertThat(c.sendMail(sender, List.of("bob@remote.test"), msg)).as(Files.readString(log)).startsWith("250");
        }
        assertThat(sink.messages.get(before).text()).contains("body of " + subject);
    }

    /**
     * The token's keys vanish while a gateway runs, then come back: SoftHSM's key objects are moved out
     * of its token directory and back (SoftHSM cannot model a whole token re-inserted into a running
     * process: once its directory is gone, the token stays invalid until the library is re-initialised).
     * A new value in SoftHSM's {@code generation} file makes the running library re-read the token directory,
     * as it does when another process changes the token. While it is gone, every operation that needs a key in it (OpenPGP
     * decryption with the relay key, OpenPGP signing with the domain key, S/MIME signing with a user's
     * key) defers with 4xx and nothing reaches the sink; once it is back, the same gateway, without a
     * restart, serves them all again.
     */
    @Test
    void tokenRemovedMidRunDefersEveryOperationAndRecovers() throws Exception {
        int freshPort = org.mailseal.testkit.TestGateway.freePort();
        Path freshCfg = dir.resolve("pulled-" + freshPort + ".yml");
        Files.writeString(freshCfg, Files.readString(cfg).replace("127.0.0.1:" + port + "\"", "127.0.0.1:" + freshPort + "\""));
        // Each round sends fresh messages: a signed relay message is accepted once (replay cache).
        java.util.function.Function<String, Map<String, String[]>> round = r -> {
            Map<String, String[]> cases = new java.util.LinkedHashMap<>();
            cases.put("openpgp decrypt (relay key)", new String[] {"alice@example.com", relayMessage("token pulled " + r)});
            cases.put("openpgp sign (domain key)", new String[] {"bob@example.com",
                    "From: bob@example.com\r\nTo: <bob@remote.test>\r\nSubject: pulled pgp sign " + r + "\r\n\r\nhello\r\n"});
            cases.put("s/mime sign (user key)", new String[] {"alice@example.com",
                    "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: pulled smime sign " + r + "\r\n\r\nhello\r\n"});
            return cases;
        };
        Path away = Files.createDirectories(dir.resolve("tokens-pulled"));
        List<Path> objects;
        try (var walk = Files.walk(dir.resolve("tokens"))) {
            objects = walk.filter(f -> f.getFileName().toString().endsWith(".object") && !f.getFileName().toString().equals("token.object")).toList();
        }
        assertThat(objects).isNotEmpty();
        Path log = dir.resolve("pulled-" + freshPort + ".log");
        try (org.mailseal.testkit.GatewayProcess fresh = org.mailseal.testkit.GatewayProcess.start(freshCfg, log, freshPort)) {
            for (var e : round.apply("before").entrySet()) {
                assertThat(sendTo(freshPort, e.getValue()[0], e.getValue()[1])).as(e.getKey() + " before").startsWith("250");
            }
            int before = sink.messages.size();
            for (Path o : objects) {
                Files.move(o, away.resolve(o.getFileName()));
            }
            tokenChanged();
            try {
                for (var e : round.apply("while away").entrySet()) {
                    assertThat(sendTo(freshPort, e.getValue()[0], e.getValue()[1])).as(e.getKey() + " without the token: " + Files.readString(log))
                            .startsWith("4");
                }
                assertThat(sink.messages.size()).as("nothing relayed while the token is gone").isEqualTo(before);
            } finally {
                for (Path o : objects) {
                    Files.move(away.resolve(o.getFileName()), o);
                }
                tokenChanged();
            }
            Map<String, String[]> after = round.apply("after");
            for (var e : after.entrySet()) {
                assertThat(sendTo(freshPort, e.getValue()[0], e.getValue()[1])).as(e.getKey() + " after re-insertion: " + Files.readString(log))
                        .startsWith("250");
            }
            assertThat(sink.messages.size()).isEqualTo(before + after.size());
            assertThat(Files.readString(log)).contains("is unavailable", "is available again");
        }
    }

    // SoftHSM re-indexes a token whose generation counter changed (as another process's write does).
    private void tokenChanged() throws Exception {
        try (var walk = Files.list(dir.resolve("tokens"))) {
            List<Path> tokenDirs = walk.filter(Files::isDirectory).toList();
            assertThat(tokenDirs).isNotEmpty();
            for (Path t : tokenDirs) {
                Files.write(t.resolve("generation"), java.nio.ByteBuffer.allocate(8).putLong(System.nanoTime()).array());
            }
        }
    }

    private String relayMessage(String subject) {
        try {
            Path in = dir.resolve("relay-" + subject.replace(' ', '-') + ".eml");
            Files.writeString(in, inner("alice@example.com", subject));
            String armored = gpg("--trust-model", "always", "--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r",
                    "mailseal-relay@example.com", "--output", "-", in.toString()).outText();
            return "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n--b1\r\n"
                    + "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
                    + armored.replaceAll("\r?\n", "\r\n") + "\r\n--b1--\r\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String sendTo(int p, String from, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(p)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            return c.sendMail(from, List.of("bob@remote.test"), message);
        }
    }

    @Test
    void userCertificateKeyInTheTokenDecryptsOpensslMail() throws Exception {
        // Every outbound decryption needs alice's signature inside: her key is in the token, so the gateway
        // (sign=smime) signs a first message with it, and that signed message, encrypted to her certificate
        // by openssl as her client would, is what she sends.
        int first = sink.messages.size();
        assertThat(send("alice@example.com", "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: smime via token\r\n\r\n"
                + "body of smime via token\r\n")).startsWith("250");
        String signedText = sink.messages.get(first).text();
        assertThat(signedText).contains("application/pkcs7-signature");
        String m = signedText.substring(signedText.indexOf("\nFrom: ") + 1);
        Path in = dir.resolve("smime.eml");
        Files.writeString(in, m);
        String entity = Cmd.run(openssl, "cms", "-encrypt", "-aes256", "-binary", "-in", in.toString(), dir.resolve("alice.crt").toString())
                .ok("openssl cms -encrypt").outText();
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\n"
                + entity.replaceAll("\r?\n", "\r\n"))).startsWith("250");
        assertThat(sink.messages.get(before).text()).contains("body of smime via token");
    }

    @Test
    void domainKeyInTheTokenSignsPgpMime() throws Exception {
        int before = sink.messages.size();
        assertThat(send("bob@example.com", "From: bob@example.com\r\nTo: <bob@remote.test>\r\nSubject: signed by the domain\r\n\r\nhello\r\n"))
                .startsWith("250");
        String got = sink.messages.get(before).text();
        assertThat(got).contains("multipart/signed; micalg=pgp-sha256");
        int b = got.indexOf("boundary=\"") + 10;
        String boundary = got.substring(b, got.indexOf('"', b));
        String open = "--" + boundary + "\r\n";
        int start = got.indexOf(open) + open.length();
        int end = got.indexOf("\r\n" + open, start);
        Files.write(dir.resolve("part1"), got.substring(start, end).getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(dir.resolve("part1.asc"), got.substring(got.indexOf("-----BEGIN PGP SIGNATURE-----"), got.indexOf("-----END PGP SIGNATURE-----") + 27));
        Cmd.Result v = Cmd.run(gpg, "--homedir", gpgHome.toString(), "--batch", "--verify", dir.resolve("part1.asc").toString(), dir.resolve("part1").toString());
        assertThat(v.code()).as(v.err()).isZero();
        assertThat(v.err()).contains("Good signature from \"<mailseal-relay@example.com>\"");
    }

    /** PEM for openssl. */
    static final class X509ToPem {
        static void write(java.security.cert.X509Certificate c, Path p) throws Exception {
            Files.writeString(p, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
        }
    }
}
