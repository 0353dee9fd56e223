package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
import org.mailseal.mail.Direction;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.policy.Encryption;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * The outbound path against real peers: mail that gpg, sq, rnp and openssl encrypted to the sender's
 * own key or the domain's relay key is decrypted and relayed byte-exact; the relay key's rules
 * (signed by a registered key, within the window, not replayed, inner From = sender); EFAIL cases;
 * signatures that gpg, sq and openssl verify; and encryption to known remote keys (opportunistic,
 * mandatory).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "sq=sq", "rnp=rnp", "rnpkeys=rnp", "openssl=openssl"})
class OutboundTest {

    Path dir;
    Path gpgHome;
    org.mailseal.testkit.Gpg gpgHelper;
    Path rnpHome;
    Path cfg;
    String gpg;
    String sq;
    String rnp;
    String openssl;
    CapturingSink sink;
    Gateway gw;
    int port;
    Path alicePub;
    Path aliceSec;
    Path relayPub;
    Path aliceCert;
    Path caPem;

    @BeforeAll
    void setUp() throws Exception {
        gpg = Peers.require("gpg", "gnupg");
        sq = Peers.require("sq", "sq");
        rnp = Peers.require("rnp", "rnp");
        openssl = Peers.require("openssl", "openssl");
        dir = Files.createTempDirectory("outbound");
        gpgHelper = new org.mailseal.testkit.Gpg(dir.resolve("gnupg"));
        gpgHome = gpgHelper.home();
        rnpHome = Files.createDirectories(dir.resolve("rnp"));
        // A partner's own CA (trusted by configuration) and a user certificate from it, made with openssl.
        Path ext = dir.resolve("ext.cnf");
        Files.writeString(ext, "subjectAltName=email:dave@partner2.test\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=emailProtection\nbasicConstraints=critical,CA:FALSE\n");
        Cmd.run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("extca.key").toString(), "-out",
                dir.resolve("extca.pem").toString(), "-days", "30", "-subj", "/CN=Partner CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign").ok("openssl req -x509");
        Cmd.run(openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("dave.key").toString(), "-out", dir.resolve("dave.csr").toString(),
                "-subj", "/CN=dave@partner2.test").ok("openssl req");
        Cmd.run(openssl, "x509", "-req", "-in", dir.resolve("dave.csr").toString(), "-CA", dir.resolve("extca.pem").toString(), "-CAkey",
                dir.resolve("extca.key").toString(), "-CAcreateserial", "-out", dir.resolve("dave.pem").toString(), "-days", "30", "-extfile",
                ext.toString()).ok("openssl x509 -req");

        sink = new CapturingSink();
        port = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                TestGateway.masterKeys(dir, "outbound master"),
                "outbound: {recipientDomains: {secure.test: mandatory}}",
                "limits: {maxMessageSize: 5MiB}",
                "smime: {trustAnchors: [\"" + dir.resolve("extca.pem") + "\"]}"));
        String c = cfg.toString();
        for (String email : List.of("alice@example.com", "signer@example.com")) {
            assertThat(Cli.run("keys", "generate", "--email", email, "-c", c).code()).isZero();
        }
        assertThat(Cli.run("ca", "init", "-c", c).code()).isZero();
        Cli.Run relay = Cli.run("keys", "relay-key", "--domain", "example.com", "-c", c);
        assertThat(relay.code()).as(relay.err()).isZero();
        assertThat(relay.out()).contains("OpenPGP relay key for example.com", "S/MIME relay certificate for example.com");
        for (String email : List.of("alice@example.com", "smimesigner@example.com")) {
            assertThat(Cli.run("ca", "issue", "--email", email, "-c", c).code()).isZero();
        }
        assertThat(Cli.run("policy", "set", "--email", "signer@example.com", "sign=openpgp", "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "smimesigner@example.com", "sign=smime", "-c", c).code()).isZero();

        MailsealConfig config = ConfigLoader.load(cfg);
        try (Database db = Database.open(config)) {
            PgpKeyStore store = new PgpKeyStore(db.dataSource());
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            alicePub = export(store, "alice@example.com", "alice.pub");
            aliceSec = dir.resolve("alice.sec");
            Files.write(aliceSec, PgpKeys.armor(store.secret(store.list("alice@example.com").get(0).fingerprint(), mk).orElseThrow().getEncoded()));
            relayPub = export(store, "mailseal-relay@example.com", "relay.pub");
            export(store, "signer@example.com", "signer.pub");
            Files.write(dir.resolve("signer.sec"),
                    PgpKeys.armor(store.secret(store.list("signer@example.com").get(0).fingerprint(), mk).orElseThrow().getEncoded()));
            SmimeStore smime = new SmimeStore(db.dataSource());
            aliceCert = pem(smime.certsFor("alice@example.com").get(0), "alice.crt");
            pem(smime.certsFor("mailseal-relay@example.com").get(0), "relay.crt");
            java.security.PrivateKey ak = smime.privateKey(org.mailseal.crypto.smime.SmimeCerts.fingerprint(smime.certsFor("alice@example.com").get(0)), mk)
                    .orElseThrow();
            Files.writeString(dir.resolve("alice.key"), "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(ak.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
            caPem = pem(smime.ca().orElseThrow().cert(), "ca.pem");
        }
        gpg("--import", aliceSec.toString());
        gpg("--import", relayPub.toString());
        gpg("--import", dir.resolve("signer.pub").toString());
        gpg("--passphrase", "", "--quick-gen-key", "<mallory@example.com>", "future-default", "default", "never");
        Cmd.run(Peers.require("rnpkeys", "rnp"), "--homedir", rnpHome.toString(), "--import", aliceSec.toString()).ok("rnpkeys import");

        // A remote recipient whose key was imported: outbound mail to it is encrypted.
        gpg("--passphrase", "", "--quick-gen-key", "<carol@partner.test>", "future-default", "default", "never");
        Files.write(dir.resolve("carol.pub"), gpg("--armor", "--export", "carol@partner.test").out());
        assertThat(Cli.run("keys", "import", dir.resolve("carol.pub").toString(), "-c", c).code()).isZero();

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

    private Path export(PgpKeyStore store, String email, String name) throws Exception {
        PGPPublicKeyRing ring = store.certsFor(email).get(0);
        Path p = dir.resolve(name);
        Files.write(p, PgpKeys.armor(ring.getEncoded()));
        return p;
    }

    private Path pem(X509Certificate c, String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        return p;
    }

    private Cmd.Result gpg(String... args) throws Exception {
        return gpgHelper.run(args);
    }

    // ---- messages ----

    static int counter;

    /** The one reply for every refusal once a ciphertext is known to be for one of our keys. */
    static final String UNIFORM = DecryptStage.FAILED.oneLine();

    /** The message the user's client wrote (the protected inner message). */
    static String inner(String from, String subject) {
        return "From: " + from + "\r\nTo: <bob@remote.test>\r\nSubject: " + subject + "\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
                + "Message-ID: <out-" + (++counter) + "@example.com>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Grüße, the secret outbound body of " + subject + "\r\n.leading dot line\r\n";
    }

    static String pgpMime(String from, String armored) {
        return "From: " + from + "\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc42\"\r\n\r\n"
                + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--enc42\r\n"
                + "Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
                + "--enc42\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n"
                + armored.replaceAll("\r?\n", "\r\n") + "\r\n--enc42--\r\n";
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name + "-" + (++counter));
        Files.writeString(p, text);
        return p;
    }

    private String send(String from, String rcpt, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            String dotted = message.replace("\r\n.", "\r\n..");
            return c.sendMail(from, List.of(rcpt), dotted);
        }
    }

    /** What the next hop received, without the Received field mailseal added. */
    private String lastDelivered(int before) {
        assertThat(sink.messages.size()).isEqualTo(before + 1);
        String t = sink.messages.get(before).text();
        assertThat(t).startsWith("Received: ");
        int end = t.indexOf("\r\n", 0);
        while (t.charAt(end + 2) == ' ' || t.charAt(end + 2) == '\t') {
            end = t.indexOf("\r\n", end + 2);
        }
        return t.substring(end + 2);
    }

    private void assertDecryptedByteExact(String encrypted, String original) throws Exception {
        int before = sink.messages.size();
        String reply = send("alice@example.com", "bob@remote.test", encrypted);
        assertThat(reply).startsWith("250");
        assertThat(lastDelivered(before)).isEqualTo(original);
    }

    private String rejected(String from, String message) throws Exception {
        int before = sink.messages.size();
        String reply = send(from, "bob@remote.test", message);
        assertThat(sink.messages.size()).as("nothing relayed").isEqualTo(before);
        return reply;
    }

    // ---- decryption of real peers' output ----

    @Test
    void gpgEncryptedToSenderKey() throws Exception {
        String m = inner("Alice <alice@example.com>", "from gpg");
        Path in = write("gpg.eml", m);
        String armored = new String(gpg("--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r", "alice@example.com", "--output", "-",
                in.toString()).out(), StandardCharsets.US_ASCII);
        assertDecryptedByteExact(pgpMime("alice@example.com", armored), m);
    }

    @Test
    void sqEncryptedToSenderKey() throws Exception {
        String m = inner("alice@example.com", "from sq");
        Path in = write("sq.eml", m);
        String armored = Cmd.run(sq, "encrypt", "--recipient-cert", alicePub.toString(), "--signer-key", aliceSec.toString(), in.toString())
                .ok("sq encrypt").outText();
        assertDecryptedByteExact(pgpMime("alice@example.com", armored), m);
    }

    @Test
    void rnpEncryptedToSenderKey() throws Exception {
        String m = inner("alice@example.com", "from rnp");
        Path in = write("rnp.eml", m);
        Path out = dir.resolve("rnp-out.asc");
        Cmd.run(rnp, "--homedir", rnpHome.toString(), "--sign", "-u", "alice@example.com", "--password", "", "--encrypt", "-r", "alice@example.com",
                "--armor", "--overwrite", "--output", out.toString(), in.toString()).ok("rnp sign+encrypt");
        assertDecryptedByteExact(pgpMime("alice@example.com", Files.readString(out)), m);
    }

    @Test
    void opensslEncryptedToSenderCertificate() throws Exception {
        // openssl cms writes the S/MIME entity (MIME-Version, Content-Disposition, Content-Type, base64 body);
        // the user's client signs inside the encryption, as every outbound decryption requires.
        SmimePair p = smimeMessage("from openssl", true, aliceCert);
        assertDecryptedByteExact(p.encrypted(), p.signed());
    }

    @Test
    void inlinePgpBodyIsDecrypted() throws Exception {
        Path in = write("inline.txt", "Grüße, inline secret text\r\n");
        String armored = gpg("--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r", "alice@example.com", "--output", "-", in.toString())
                .outText().replaceAll("\r?\n", "\r\n");
        String header = "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: inline\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", header + armored)).startsWith("250");
        assertThat(lastDelivered(before)).isEqualTo(header + "Grüße, inline secret text\r\n");
    }

    @Test
    void innerFromOtherThanTheSenderIsRejected() throws Exception {
        Path in = write("ceo.eml", inner("The CEO <ceo@example.com>", "spoofed"));
        String armored = gpg("--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r", "alice@example.com", "--output", "-", in.toString()).outText();
        assertThat(rejected("alice@example.com", pgpMime("alice@example.com", armored))).isEqualTo(UNIFORM);
    }

    @Test
    void innerFromMayBeAnAddressTheSenderOwns() throws Exception {
        Path in = write("alias.eml", inner("Alice Smith <a.smith@example.com>", "from an alias"));
        String armored = gpg("--sign", "-u", "alice@example.com", "--armor", "--encrypt", "-r", "alice@example.com", "--output", "-", in.toString()).outText();
        String msg = pgpMime("alice@example.com", armored);
        assertThat(rejected("alice@example.com", msg)).isEqualTo(UNIFORM);
        Cli.Run r = Cli.run("users", "addresses", "alice@example.com", "--add", "a.smith@example.com", "-c", cfg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("a.smith@example.com");
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", msg)).startsWith("250");
        assertThat(lastDelivered(before)).contains("Subject: from an alias");
    }

    @Test
    void mailEncryptedToSomeoneElsePassesUntouched() throws Exception {
        Path in = write("carol.eml", inner("alice@example.com", "end to end"));
        String armored = gpg("--armor", "--encrypt", "-r", "carol@partner.test", "--output", "-", in.toString()).outText();
        String msg = pgpMime("alice@example.com", armored).replace("bob@remote.test", "carol@partner.test");
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "carol@partner.test", msg)).startsWith("250");
        assertThat(lastDelivered(before)).isEqualTo(msg);
    }

    // ---- relay key ----

    private String relayMessage(String signer, String innerFrom, String... extra) throws Exception {
        Path in = write("relay.eml", inner(innerFrom, "via relay key"));
        List<String> args = new ArrayList<>(List.of(extra));
        if (signer != null) {
            args.addAll(List.of("--sign", "-u", signer));
        }
        args.addAll(List.of("--armor", "--encrypt", "-r", "mailseal-relay@example.com", "--output", "-", in.toString()));
        return pgpMime("alice@example.com", gpg(args.toArray(new String[0])).outText());
    }

    @Test
    void relayKeySignedByRegisteredKeyIsDelivered() throws Exception {
        String msg = relayMessage("alice@example.com", "alice@example.com");
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", msg)).startsWith("250");
        assertThat(lastDelivered(before)).contains("Subject: via relay key", "the secret outbound body").doesNotContain("BEGIN PGP");
        // Replayed: the same signed message again is refused.
        assertThat(rejected("alice@example.com", msg)).isEqualTo(UNIFORM);
    }

    @Test
    void relayKeyUnsignedIsRejected() throws Exception {
        assertThat(rejected("alice@example.com", relayMessage(null, "alice@example.com"))).isEqualTo(UNIFORM);
    }

    @Test
    void relayKeySignedByUnregisteredKeyIsRejected() throws Exception {
        assertThat(rejected("alice@example.com", relayMessage("mallory@example.com", "alice@example.com"))).isEqualTo(UNIFORM);
    }

    @Test
    void relayKeySignedWithRegisteredKeyOfAnotherUserIsRejected() throws Exception {
        // signer@example.com's key is registered, but to signer, not to alice.
        Path in = write("other.eml", inner("alice@example.com", "other user"));
        Cmd.Result r = Cmd.run(sq, "encrypt", "--recipient-cert", relayPub.toString(), "--signer-key", dir.resolve("signer.sec").toString(), in.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(rejected("alice@example.com", pgpMime("alice@example.com", r.outText()))).isEqualTo(UNIFORM);
    }

    @Test
    void relayKeyStaleSignatureIsRejected() throws Exception {
        // Signed by alice's registered key, but 3 hours ago (the window is 2 h).
        byte[] plain = inner("alice@example.com", "stale").getBytes(StandardCharsets.UTF_8);
        String msg = pgpMime("alice@example.com", armor(signedAndEncrypted(plain, new java.util.Date(System.currentTimeMillis() - 3 * 3600_000L))));
        assertThat(rejected("alice@example.com", msg)).isEqualTo(UNIFORM);
        // The same construction signed now is delivered: the test fails for the right reason.
        String fresh = pgpMime("alice@example.com", armor(signedAndEncrypted(inner("alice@example.com", "fresh").getBytes(StandardCharsets.UTF_8),
                new java.util.Date())));
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", fresh)).startsWith("250");
        assertThat(lastDelivered(before)).contains("Subject: fresh");
    }

    /** A one-pass signed (by alice, at {@code when}) and encrypted (to the relay key) OpenPGP message, built with Bouncy Castle. */
    private byte[] signedAndEncrypted(byte[] plain, java.util.Date when) throws Exception {
        org.bouncycastle.openpgp.PGPSecretKeyRing sec = PgpKeys.parseSecret(
                org.bouncycastle.openpgp.PGPUtil.getDecoderStream(Files.newInputStream(aliceSec)).readAllBytes());
        org.bouncycastle.openpgp.PGPSecretKey sk = org.mailseal.crypto.pgp.PgpMimeSigner.signingKey(sec);
        var priv = sk.extractPrivateKey(new org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder(
                new org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider()).build(new char[0]));
        var sg = new org.bouncycastle.openpgp.PGPSignatureGenerator(new org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder(
                sk.getPublicKey().getAlgorithm(), org.bouncycastle.bcpg.HashAlgorithmTags.SHA256), sk.getPublicKey());
        sg.init(org.bouncycastle.openpgp.PGPSignature.BINARY_DOCUMENT, priv);
        var sub = new org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator();
        sub.setSignatureCreationTime(false, when);
        sub.setIssuerFingerprint(false, sk.getPublicKey());
        sg.setHashedSubpackets(sub.generate());
        PGPPublicKeyRing relayRing = PgpKeys.parsePublic(org.bouncycastle.openpgp.PGPUtil.getDecoderStream(Files.newInputStream(relayPub)).readAllBytes());
        PGPEncryptedDataGenerator g = new PGPEncryptedDataGenerator(new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setWithIntegrityPacket(true));
        g.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(PgpKeys.validate(relayRing, null, java.time.Instant.now()).encryptionKeys().get(0)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var eo = g.open(out, new byte[4096])) {
            sg.generateOnePassVersion(false).encode(eo);
            try (var lo = new PGPLiteralDataGenerator().open(eo, PGPLiteralData.BINARY, "", plain.length, when)) {
                lo.write(plain);
            }
            sg.update(plain);
            sg.generate().encode(eo);
        }
        return out.toByteArray();
    }

    @Test
    void relayKeyWithForeignInnerFromIsRejected() throws Exception {
        assertThat(rejected("alice@example.com", relayMessage("alice@example.com", "boss@example.com"))).isEqualTo(UNIFORM);
    }

    @Test
    void sqSignedRelayMessageIsDelivered() throws Exception {
        Path in = write("sqrelay.eml", inner("alice@example.com", "sq relay"));
        String armored = Cmd.run(sq, "encrypt", "--recipient-cert", relayPub.toString(), "--signer-key", aliceSec.toString(), in.toString())
                .ok("sq encrypt --signer-key").outText();
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", pgpMime("alice@example.com", armored))).startsWith("250");
        assertThat(lastDelivered(before)).contains("Subject: sq relay");
    }

    /** An S/MIME message to the relay certificate: {@code inner} signed by alice with openssl (if {@code sign}), then encrypted. */
    private String smimeRelayMessage(String subject, boolean sign) throws Exception {
        return smimeMessage(subject, sign, dir.resolve("relay.crt")).encrypted();
    }

    /** What the client signed (the message the next hop gets back) and what it sent (that, encrypted). */
    record SmimePair(String signed, String encrypted) {
    }

    private SmimePair smimeMessage(String subject, boolean sign, Path recipientCert) throws Exception {
        Path in = write("smime-relay.eml", "Content-Type: text/plain; charset=us-ascii\r\n\r\nS/MIME relay body of " + subject + "\r\n");
        String entity;
        if (sign) {
            entity = Cmd.run(openssl, "cms", "-sign", "-in", in.toString(), "-signer", aliceCert.toString(), "-inkey",
                    dir.resolve("alice.key").toString()).ok("openssl cms -sign").outText();
        } else {
            entity = Files.readString(in);
        }
        Path signed = write("smime-signed.eml", "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: " + subject + "\r\n"
                + entity.replaceAll("\r?\n", "\r\n"));
        String enc = Cmd.run(openssl, "cms", "-encrypt", "-aes256", "-binary", "-in", signed.toString(), recipientCert.toString())
                .ok("openssl cms -encrypt").outText();
        return new SmimePair(Files.readString(signed),
                "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\n" + enc.replaceAll("\r?\n", "\r\n"));
    }

    @Test
    void smimeRelayCertificateNeedsAFreshRegisteredSignature() throws Exception {
        String msg = smimeRelayMessage("smime relay", true);
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", msg)).startsWith("250");
        String got = lastDelivered(before);
        assertThat(got).contains("Subject: smime relay", "S/MIME relay body of smime relay", "application/pkcs7-signature");
        // The user's signature reaches the recipient intact.
        Path out = dir.resolve("smime-relay-out.eml");
        Files.writeString(out, got);
        assertThat(Cmd.run(openssl, "cms", "-verify", "-in", out.toString(), "-CAfile", caPem.toString(), "-out", "/dev/null").code()).isZero();
        assertThat(rejected("alice@example.com", msg)).isEqualTo(UNIFORM);
        assertThat(rejected("alice@example.com", smimeRelayMessage("unsigned smime relay", false))).isEqualTo(UNIFORM);
    }

    // ---- the provider as attacker: no decryption oracle ----

    /** An inbound message mailseal encrypted for alice's mailbox, resent by a trusted client as alice to an outsider. */
    @Test
    void storedInboundCopyResentAsTheUserIsRefused() throws Exception {
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=mandatory", "-c", cfg.toString()).code()).isZero();
        policyTakesEffect();
        int before = sink.messages.size();
        String in = "From: Bob <bob@internet.test>\r\nTo: alice@example.com\r\nSubject: stored secret\r\n\r\nthe secret outbound body, stored\r\n";
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO mx.internet.test");
            c.expect("250");
            assertThat(c.sendMail("bob@internet.test", List.of("alice@example.com"), in)).startsWith("250");
        }
        String stored = lastDelivered(before);
        assertThat(stored).contains("multipart/encrypted").doesNotContain("the secret outbound body");
        String resent = stored.replace("To: alice@example.com", "To: <mallory@evil.test>");
        before = sink.messages.size();
        assertThat(send("alice@example.com", "mallory@evil.test", resent)).isEqualTo(UNIFORM);
        assertThat(sink.messages.size()).as("nothing relayed").isEqualTo(before);
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=never", "-c", cfg.toString()).code()).isZero();
        policyTakesEffect();
    }

    /** A policy set while the gateway serves applies within a second (RecentLookups). */
    private static void policyTakesEffect() throws InterruptedException {
        Thread.sleep(org.mailseal.keys.RecentLookups.TTL_NANOS / 1_000_000 + 100);
    }

    /**
     * A Sent copy holds the user's own S/MIME signature (mailseal signed for smimesigner), fresh and never
     * seen by the decrypt path: only the storage seal inside tells it from a message the user sent. Without
     * the seal the same construction is relayed, so the refusal is the seal's.
     */
    @Test
    void sealedSentCopyIsRefusedEvenWithTheUsersFreshSignature() throws Exception {
        int before = sink.messages.size();
        assertThat(send("smimesigner@example.com", "bob@remote.test",
                "From: smimesigner@example.com\r\nTo: <bob@remote.test>\r\nSubject: sent mail\r\n\r\nthe secret outbound body, sent\r\n"))
                .startsWith("250");
        String signedMessage = lastDelivered(before);
        assertThat(signedMessage).contains("application/pkcs7-signature");
        MailsealConfig config = ConfigLoader.load(cfg);
        org.mailseal.keys.CertDirectory.ValidCert cert;
        try (Database db = Database.open(config)) {
            X509Certificate c = new SmimeStore(db.dataSource()).certsFor("smimesigner@example.com").get(0);
            cert = new org.mailseal.keys.CertDirectory.ValidCert(c, org.mailseal.crypto.smime.SmimeCerts.fingerprint(c));
        }
        org.mailseal.keys.StorageSeal seal = org.mailseal.keys.StorageSeal.load(dir.resolve("data"));
        String sealed = sentCopy(signedMessage, cert, seal);
        assertThat(sealed).doesNotContain("the secret outbound body");
        before = sink.messages.size();
        assertThat(send("smimesigner@example.com", "mallory@evil.test", sealed)).isEqualTo(UNIFORM);
        assertThat(sink.messages.size()).as("nothing relayed").isEqualTo(before);
        assertThat(send("smimesigner@example.com", "mallory@evil.test", sentCopy(signedMessage, cert, null))).as("control: unsealed").startsWith("250");
    }

    private static String sentCopy(String message, org.mailseal.keys.CertDirectory.ValidCert cert, org.mailseal.keys.StorageSeal seal) throws Exception {
        Recipient self = new Recipient(org.mailseal.mail.RcptTo.of(org.mailseal.mail.Address.parse("smimesigner@example.com")), Direction.OUTBOUND, 0);
        Treatment t = new Encryption.Smime(List.of(new Encryption.Certified(self, cert, "Sent copy")),
                org.mailseal.mime.OuterHeader.minimal("[...]"), false);
        byte[] bytes = message.getBytes(StandardCharsets.ISO_8859_1);
        java.io.BufferedInputStream in = new java.io.BufferedInputStream(new java.io.ByteArrayInputStream(bytes));
        org.mailseal.mime.RawHeader h = org.mailseal.mime.RawHeader.read(in, 1 << 20);
        int body = bytes.length - in.available();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EncryptStage.encrypt(t, h, () -> new java.io.ByteArrayInputStream(bytes, body, bytes.length - body), out, seal);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * CBC has no integrity: a flipped byte anywhere in the encrypted content must not yield relayed
     * (garbled) plaintext; the signature inside fails. (A flip in the RecipientInfo makes the message
     * someone else's ciphertext, which is relayed untouched, never decrypted.)
     */
    @Test
    void cbcSmimeWithAByteFlippedIsRefused() throws Exception {
        SmimePair p = smimeMessage("cbc flip", true, aliceCert);
        String msg = p.encrypted();
        int bodyAt = msg.indexOf("\r\n\r\n", msg.indexOf("Content-Transfer-Encoding")) + 4;
        byte[] der = Base64.getMimeDecoder().decode(msg.substring(bodyAt).strip());
        List<String> replies = new ArrayList<>();
        assertThat(der.length).isGreaterThan(2000);
        for (int at : new int[] {der.length - 1500, der.length - 1000, der.length - 600, der.length - 40, der.length - 17}) {
            byte[] flipped = der.clone();
            flipped[at] ^= 0x20;
            String m = msg.substring(0, bodyAt) + Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(flipped) + "\r\n";
            replies.add(rejected("alice@example.com", m));
        }
        assertThat(replies).allSatisfy(r -> assertThat(r).isEqualTo(UNIFORM));
    }

    // ---- EFAIL ----

    @Test
    void efailCasesNeverYieldPlaintextAndAllGetTheSameError() throws Exception {
        String m = inner("alice@example.com", "efail");
        Path in = write("efail.eml", m);
        byte[] binary = gpg("--encrypt", "-r", "alice@example.com", "--output", "-", in.toString()).out();
        List<String> replies = new ArrayList<>();
        // 1. modified ciphertext: a byte flipped inside the encrypted data packet (armor CRC recomputed).
        byte[] flipped = binary.clone();
        flipped[flipped.length - 40] ^= 0x01;
        replies.add(rejected("alice@example.com", pgpMime("alice@example.com", armor(flipped))));
        // 2. truncated stream.
        replies.add(rejected("alice@example.com", pgpMime("alice@example.com", armor(java.util.Arrays.copyOf(binary, binary.length - 30)))));
        // 3. no MDC (a symmetrically encrypted data packet, tag 9).
        replies.add(rejected("alice@example.com", pgpMime("alice@example.com", armor(withoutMdc(m.getBytes(StandardCharsets.UTF_8))))));
        assertThat(replies).allSatisfy(r -> assertThat(r).isEqualTo(UNIFORM));
        assertThat(replies.stream().distinct().count()).as("one error for every case: %s", replies).isEqualTo(1);

        // 4. ciphertext quoted inside a body: never decrypted, relayed as the user wrote it.
        String armored = gpg("--armor", "--encrypt", "-r", "alice@example.com", "--output", "-", in.toString()).outText();
        String quoted = "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: quoted\r\n\r\nYou wrote:\r\n\r\n"
                + armored.replaceAll("\r?\n", "\r\n") + "\r\nthanks\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", quoted)).startsWith("250");
        String got = lastDelivered(before);
        assertThat(got).isEqualTo(quoted).doesNotContain("secret outbound body");
        // ... and attached (multipart/mixed with an armored attachment): the same.
        String attached = "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: attached\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
                + "--mix\r\nContent-Type: application/pgp-encrypted; name=\"x.asc\"\r\n\r\n" + armored.replaceAll("\r?\n", "\r\n") + "\r\n--mix--\r\n";
        before = sink.messages.size();
        assertThat(send("alice@example.com", "bob@remote.test", attached)).startsWith("250");
        assertThat(lastDelivered(before)).isEqualTo(attached);
    }

    @Test
    void compressionBombIsRefusedBeforeTheDiskFills() throws Exception {
        // 40 MiB of zeros compress to ~40 KiB; the decrypted size limit is twice maxMessageSize (10 MiB here).
        PGPPublicKeyRing ring = PgpKeys.parsePublic(org.bouncycastle.openpgp.PGPUtil.getDecoderStream(Files.newInputStream(alicePub)).readAllBytes());
        PGPEncryptedDataGenerator g = new PGPEncryptedDataGenerator(new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setWithIntegrityPacket(true));
        g.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(PgpKeys.validate(ring, null, java.time.Instant.now()).encryptionKeys().get(0)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var eo = g.open(out, new byte[4096]);
             var co = new org.bouncycastle.openpgp.PGPCompressedDataGenerator(org.bouncycastle.bcpg.CompressionAlgorithmTags.ZLIB).open(eo);
             var lo = new PGPLiteralDataGenerator().open(co, PGPLiteralData.BINARY, "", new java.util.Date(), new byte[65536])) {
            lo.write("From: alice@example.com\r\nSubject: bomb\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 40; i++) {
                lo.write(zeros);
            }
        }
        assertThat(out.size()).isLessThan(1 << 20);
        assertThat(rejected("alice@example.com", pgpMime("alice@example.com", armor(out.toByteArray())))).startsWith("552 5.3.4");
        try (var work = Files.list(dir.resolve("data/spool/work"))) {
            assertThat(work.toList()).as("no decrypted remains").isEmpty();
        }
    }

    @Test
    void cmsWithAbsurdLengthsGetsTheUniformError() throws Exception {
        // EnvelopedData whose RecipientInfos SET claims 2 GiB: a defined reply, no allocation, no crash.
        byte[] cms = {0x30, (byte) 0x80, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x03, (byte) 0xa0,
            (byte) 0x80, 0x30, (byte) 0x80, 0x02, 0x01, 0x00, 0x31, (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00};
        String msg = "From: alice@example.com\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(cms) + "\r\n";
        assertThat(rejected("alice@example.com", msg)).isEqualTo(UNIFORM);
    }

    private static String armor(byte[] binary) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ArmoredOutputStream a = ArmoredOutputStream.builder().clearHeaders().build(b)) {
            a.write(binary);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private byte[] withoutMdc(byte[] plain) throws Exception {
        PGPPublicKeyRing ring = PgpKeys.parsePublic(org.bouncycastle.openpgp.PGPUtil.getDecoderStream(Files.newInputStream(alicePub)).readAllBytes());
        org.bouncycastle.openpgp.PGPPublicKey enc = PgpKeys.validate(ring, null, java.time.Instant.now()).encryptionKeys().get(0);
        PGPEncryptedDataGenerator g = new PGPEncryptedDataGenerator(new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setWithIntegrityPacket(false));
        g.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(enc));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var eo = g.open(out, new byte[4096]);
             var lo = new PGPLiteralDataGenerator().open(eo, PGPLiteralData.BINARY, "", plain.length, new java.util.Date())) {
            lo.write(plain);
        }
        return out.toByteArray();
    }

    // ---- signing ----

    /** The first part of a multipart/signed message (the signed bytes) and the signature part. */
    record Signed(byte[] content, String signaturePart) {
    }

    static Signed split(String message) {
        int ct = message.indexOf("boundary=\"");
        String boundary = message.substring(ct + 10, message.indexOf('"', ct + 10));
        String open = "--" + boundary + "\r\n";
        int start = message.indexOf(open) + open.length();
        int end = message.indexOf("\r\n" + open, start);
        int sigEnd = message.indexOf("\r\n--" + boundary + "--", end);
        return new Signed(message.substring(start, end).getBytes(StandardCharsets.ISO_8859_1),
                message.substring(end + 2 + open.length(), sigEnd));
    }

    @Test
    void pgpSignaturesOverTheCorpusVerifyInGpgAndSq() throws Exception {
        List<Corpus.Message> corpus = Corpus.load("encrypt");
        int n = 0;
        for (Corpus.Message m : corpus) {
            int before = sink.messages.size();
            assertThat(Corpus.send(port, m, "bob@remote.test", "signer@example.com")).as(m.name()).startsWith("250");
            String got = new String(sink.messages.get(before).data(), StandardCharsets.ISO_8859_1);
            assertThat(got).as(m.name()).contains("Content-Type: multipart/signed; micalg=pgp-sha256;", "protocol=\"application/pgp-signature\"");
            Signed s = split(got);
            Path content = dir.resolve("signed-" + n + ".eml");
            Path sig = dir.resolve("signed-" + n + ".asc");
            Files.write(content, s.content());
            Files.writeString(sig, s.signaturePart().substring(s.signaturePart().indexOf("-----BEGIN PGP SIGNATURE-----")));
            Cmd.Result g = Cmd.run(gpg, "--homedir", gpgHome.toString(), "--batch", "--verify", sig.toString(), content.toString());
            assertThat(g.code()).as(m.name() + ": " + g.err()).isZero();
            assertThat(g.err()).contains("Good signature from \"<signer@example.com>\"");
            Cmd.Result q = Cmd.run(sq, "verify", "--signer-cert", dir.resolve("signer.pub").toString(), "--detached", sig.toString(), content.toString());
            assertThat(q.code()).as(m.name() + ": " + q.err()).isZero();
            // The signed part is 7-bit (8-bit single parts are re-encoded as base64).
            if (!new String(m.bytes(), StandardCharsets.ISO_8859_1).contains("Content-Type: multipart/")) {
                for (byte b : s.content()) {
                    assertThat(b).as(m.name() + ": 7-bit").isGreaterThan((byte) 0);
                }
            }
            n++;
        }
        assertThat(n).isGreaterThanOrEqualTo(40);
    }

    @Test
    void smimeSignaturesOverTheCorpusVerifyInOpenssl() throws Exception {
        List<Corpus.Message> corpus = Corpus.load("encrypt");
        int n = 0;
        for (Corpus.Message m : corpus) {
            int before = sink.messages.size();
            assertThat(Corpus.send(port, m, "bob@remote.test", "smimesigner@example.com")).as(m.name()).startsWith("250");
            String got = new String(sink.messages.get(before).data(), StandardCharsets.ISO_8859_1);
            assertThat(got).as(m.name()).contains("Content-Type: multipart/signed; micalg=sha-256;", "protocol=\"application/pkcs7-signature\"");
            Path msg = dir.resolve("smime-signed-" + n + ".eml");
            Files.writeString(msg, got, StandardCharsets.ISO_8859_1);
            Cmd.Result r = Cmd.run(openssl, "cms", "-verify", "-in", msg.toString(), "-CAfile", caPem.toString(), "-out", "/dev/null");
            assertThat(r.code()).as(m.name() + ": " + r.err()).isZero();
            assertThat(r.err()).contains("Verification successful");
            n++;
        }
        assertThat(n).isGreaterThanOrEqualTo(40);
        // The signature carries SMIMECapabilities and the encryption-key preference.
        Path last = dir.resolve("smime-signed-" + (n - 1) + ".eml");
        Path p7 = dir.resolve("sig.p7s");
        Files.write(p7, Base64.getMimeDecoder().decode(split(Files.readString(last, StandardCharsets.ISO_8859_1)).signaturePart().split("\r\n\r\n", 2)[1]));
        String dump = Cmd.run(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", p7.toString()).ok("openssl cms -print").outText();
        assertThat(dump).contains("S/MIME Capabilities", "id-smime-aa-encrypKeyPref");
    }

    // ---- keys learned from inbound mail ----

    private String inbound(String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO partner.test");
            c.expect("250");
            return c.sendMail("someone@partner.test", List.of("alice@example.com"), message);
        }
    }

    private static String autocrypt(String addr, byte[] key) {
        String b64 = Base64.getEncoder().encodeToString(key);
        StringBuilder folded = new StringBuilder();
        for (int i = 0; i < b64.length(); i += 70) {
            folded.append("\r\n ").append(b64, i, Math.min(b64.length(), i + 70));
        }
        return "Autocrypt: addr=" + addr + "; prefer-encrypt=mutual; keydata=" + folded + "\r\n";
    }

    private byte[] gpgKey(String email) throws Exception {
        gpg("--passphrase", "", "--quick-gen-key", "<" + email + ">", "future-default", "default", "never");
        return gpg("--export", email).out();
    }

    @Test
    void autocryptKeyFromInboundMailEncryptsTheReply() throws Exception {
        byte[] key = gpgKey("frank@partner.test");
        assertThat(inbound("From: Frank <frank@partner.test>\r\nTo: alice@example.com\r\nSubject: hi\r\n" + autocrypt("frank@partner.test", key)
                + "\r\nhello alice\r\n")).startsWith("250");
        String reply = "From: alice@example.com\r\nTo: frank@partner.test\r\nSubject: re: hi\r\n\r\nsecret reply to frank\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "frank@partner.test", reply)).startsWith("250");
        String got = lastDelivered(before);
        assertThat(got).contains("multipart/encrypted").doesNotContain("secret reply to frank");
        Path enc = dir.resolve("to-frank.asc");
        Files.writeString(enc, got.substring(got.indexOf("-----BEGIN PGP MESSAGE-----"), got.indexOf("-----END PGP MESSAGE-----") + 25));
        assertThat(gpg("--decrypt", enc.toString()).outText()).contains("secret reply to frank");
    }

    @Test
    void invalidAutocryptHeadersTeachNothing() throws Exception {
        byte[] g1 = gpgKey("gina@partner.test");
        byte[] h1 = gpgKey("hank@partner.test");
        // addr is not the From address.
        inbound("From: mallory@partner.test\r\nTo: alice@example.com\r\nSubject: a\r\n" + autocrypt("gina@partner.test", g1) + "\r\nx\r\n");
        // two valid headers: neither counts.
        inbound("From: hank@partner.test\r\nTo: alice@example.com\r\nSubject: b\r\n" + autocrypt("hank@partner.test", h1)
                + autocrypt("hank@partner.test", h1) + "\r\nx\r\n");
        // an unknown critical attribute.
        inbound("From: gina@partner.test\r\nTo: alice@example.com\r\nSubject: c\r\nAutocrypt: addr=gina@partner.test; color=red; keydata="
                + Base64.getEncoder().encodeToString(g1) + "\r\n\r\nx\r\n");
        // spam teaches nothing either.
        byte[] i1 = gpgKey("ivy@partner.test");
        inbound("From: ivy@partner.test\r\nTo: alice@example.com\r\nSubject: d\r\nX-Spam-Flag: YES\r\n" + autocrypt("ivy@partner.test", i1)
                + "\r\nx\r\n");
        // a forged local From: an outsider never chooses a local user's key, even one who has none yet
        byte[] n1 = gpgKey("newbie@example.com");
        inbound("From: newbie@example.com\r\nTo: alice@example.com\r\nSubject: e\r\n" + autocrypt("newbie@example.com", n1) + "\r\nx\r\n");
        MailsealConfig config = ConfigLoader.load(cfg);
        try (Database db = Database.open(config)) {
            assertThat(new PgpKeyStore(db.dataSource()).list("newbie@example.com")).as("no key learned for a local address").isEmpty();
        }
        for (String who : List.of("gina@partner.test", "hank@partner.test", "ivy@partner.test")) {
            String m = "From: alice@example.com\r\nTo: " + who + "\r\nSubject: plain\r\n\r\nnot encrypted\r\n";
            int before = sink.messages.size();
            assertThat(send("alice@example.com", who, m)).startsWith("250");
            assertThat(lastDelivered(before)).as(who).isEqualTo(m);
        }
    }

    @Test
    void smimeSignedInboundMailTeachesTheSendersCertificate() throws Exception {
        Path body = write("dave.txt", "Content-Type: text/plain\r\n\r\nsigned hello from dave\r\n");
        String signed = Cmd.run(openssl, "cms", "-sign", "-in", body.toString(), "-signer", dir.resolve("dave.pem").toString(), "-inkey",
                dir.resolve("dave.key").toString()).ok("openssl cms -sign").outText().replaceAll("\r?\n", "\r\n");
        assertThat(inbound("From: dave@partner2.test\r\nTo: alice@example.com\r\nSubject: signed\r\n" + signed)).startsWith("250");
        String reply = "From: alice@example.com\r\nTo: dave@partner2.test\r\nSubject: re: signed\r\n\r\nsecret reply to dave\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "dave@partner2.test", reply)).startsWith("250");
        String got = lastDelivered(before);
        assertThat(got).contains("application/pkcs7-mime").doesNotContain("secret reply to dave");
        Path enc = dir.resolve("to-dave.eml");
        Files.writeString(enc, got);
        String clear = Cmd.run(openssl, "cms", "-decrypt", "-in", enc.toString(), "-recip", dir.resolve("dave.pem").toString(), "-inkey",
                dir.resolve("dave.key").toString()).ok("openssl cms -decrypt").outText();
        assertThat(clear).contains("secret reply to dave");
    }

    // ---- outbound encryption ----

    @Test
    void remoteRecipientWithKnownKeyGetsEncryptedMail() throws Exception {
        String m = "From: alice@example.com\r\nTo: carol@partner.test\r\nSubject: to carol\r\n\r\nfor carol's eyes only\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "carol@partner.test", m)).startsWith("250");
        String got = lastDelivered(before);
        assertThat(got).contains("multipart/encrypted").doesNotContain("for carol's eyes only");
        Path enc = dir.resolve("to-carol.asc");
        Files.writeString(enc, got.substring(got.indexOf("-----BEGIN PGP MESSAGE-----"), got.indexOf("-----END PGP MESSAGE-----") + 25));
        String clear = gpg("--decrypt", enc.toString()).outText();
        assertThat(clear).contains("Subject: to carol", "for carol's eyes only");
    }

    @Test
    void mandatoryDomainWithoutKeyIsRejectedAndNothingLeaves() throws Exception {
        String m = "From: alice@example.com\r\nTo: dave@secure.test\r\nSubject: to dave\r\n\r\nsecret\r\n";
        int before = sink.messages.size();
        String reply = send("alice@example.com", "dave@secure.test", m);
        assertThat(reply).startsWith("550 5.7.1").contains("mandatory");
        assertThat(sink.messages.size()).isEqualTo(before);
    }

    @Test
    void opportunisticRecipientWithoutKeyGetsItAsItIs() throws Exception {
        String m = "From: alice@example.com\r\nTo: erin@other.test\r\nSubject: plain\r\n\r\nhello\r\n";
        int before = sink.messages.size();
        assertThat(send("alice@example.com", "erin@other.test", m)).startsWith("250");
        assertThat(lastDelivered(before)).isEqualTo(m);
    }
}
