package org.mailseal.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.mime.RawHeader;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.Knot;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * Mail authentication against real peers, with a real DNS server (Knot) serving the keys:
 * <ul>
 * <li>inbound: mail signed by dkimpy (python3-dkim) and by OpenDKIM, valid and broken, gets one
 * Authentication-Results field from the gateway whose verdicts agree with dkimpy's (the one deliberate
 * difference: a signature whose {@code l=} leaves appended content unsigned is {@code policy}, not pass);
 * with the DNS server down, every verdict is {@code temperror} and nothing is rejected;</li>
 * <li>outbound: every corpus message the gateway relays for its domain carries an rsa-sha256 and an
 * ed25519-sha256 signature that dkimpy and OpenDKIM both verify against the records {@code mailseal dkim
 * generate} printed, loaded into the DNS server as printed.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"knotd=knot", "/usr/bin/dkimverify=python3-dkim", "opendkim=opendkim", "opendmarc=opendmarc", "openssl=openssl", "unshare=util-linux", "ip=iproute2"})
class MailAuthTest {

    static final String PYTHON = "/usr/bin/python3"; // Debian's modules load only there
    Path dir;
    Knot dns;
    CapturingSink sink;
    Gateway gw;
    int port;
    Path cfg;
    Path verifyScript;
    final Map<String, Path> senderKeys = new LinkedHashMap<>();

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("knotd", "knot");
        Peers.require("dkimverify", "python3-dkim");
        Peers.require("opendkim", "opendkim");
        Peers.require("opendmarc", "opendmarc");
        Peers.require("openssl", "openssl");
        Peers.require("unshare", "util-linux");
        Peers.require("ip", "iproute2");
        Peers.requirePath(PYTHON, "python3 (Debian's /usr/bin/python3 with python3-dkim)");
        dir = Files.createTempDirectory("mailauth");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        verifyScript = dir.resolve("dkimpy-verify.py");
        Files.write(verifyScript, getClass().getResourceAsStream("/mailauth/dkimpy-verify.py").readAllBytes());

        // sender.test: an outside domain whose mail dkimpy and OpenDKIM sign (RSA and Ed25519 keys).
        String rsa = dir.resolve("sender-rsa.pem").toString();
        String ed = dir.resolve("sender-ed.pem").toString();
        Cmd.run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa).ok("openssl genpkey rsa");
        Cmd.run("openssl", "genpkey", "-algorithm", "ed25519", "-out", ed).ok("openssl genpkey ed25519");
        senderKeys.put("rsa", Path.of(rsa));
        senderKeys.put("ed25519", Path.of(ed));
        byte[] rsaPub = Cmd.run("openssl", "pkey", "-in", rsa, "-pubout", "-outform", "DER").ok("openssl pkey").out();
        byte[] edPub = Cmd.run("openssl", "pkey", "-in", ed, "-pubout", "-outform", "DER").ok("openssl pkey").out();
        byte[] edPriv = Cmd.run("openssl", "pkey", "-in", ed, "-outform", "DER").ok("openssl pkey").out();
        // dkimpy takes an Ed25519 key as the base64 of its 32-byte seed.
        Files.writeString(dir.resolve("sender-ed.dkimpy"), Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(edPriv, edPriv.length - 32, edPriv.length)));

        dns = new Knot(dir.resolve("dns"));
        dns.zone("sender.test", "@ TXT \"v=spf1 ip4:127.0.0.1 -all\"\n_dmarc TXT \"v=DMARC1; p=reject\"\n"
                + txt("r1._domainkey", "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(rsaPub)) + "\n"
                + txt("e1._domainkey", "v=DKIM1; k=ed25519; p=" + Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(edPub, edPub.length - 32, edPub.length))));
        dns.zone("example.com", "");
        dns.start();

        sink = new CapturingSink();
        port = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}", dns.dnsYaml(), TestGateway.masterKeys(dir, "mailauth master"),
                "domains: {local: [example.com, strict.example, hold.example, closed.example]}",
                "authentication: {domains: {strict.example: {dmarc: reject}, hold.example: {dmarc: quarantine}, closed.example: {learnAutocrypt: false}}}"));
        // The gateway's own keys; their records go into the zone exactly as the command prints them.
        Cli.Run gen = Cli.run("dkim", "generate", "--domain", "example.com", "--activate", "-c", cfg.toString());
        assertThat(gen.code()).as(gen.err()).isZero();
        dns.zone("example.com", gen.out());
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
        if (dns != null) {
            dns.close();
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    /** A TXT record split into strings of at most 255 bytes (RFC 1035 §3.3.14). */
    static String txt(String name, String value) {
        StringBuilder b = new StringBuilder(name).append(" TXT (");
        for (int i = 0; i < value.length(); i += 200) {
            b.append(" \"").append(value, i, Math.min(value.length(), i + 200)).append('"');
        }
        return b.append(" )").toString();
    }

    static String plain(String subject, String body) {
        return "From: Sam <sam@sender.test>\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\nDate: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
                + "Message-ID: <" + Math.abs(subject.hashCode()) + "@sender.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                + body;
    }

    String dkimpySign(String message, String alg, String selector, Path key, boolean withLength) throws Exception {
        Path in = dir.resolve("in-" + System.nanoTime() + ".eml");
        Files.writeString(in, message, StandardCharsets.ISO_8859_1);
        String script = "import sys, dkim\nmsg = open(sys.argv[1], 'rb').read()\nkey = open(sys.argv[2], 'rb').read()\n"
                + "sig = dkim.sign(msg, sys.argv[3].encode(), b'sender.test', key, signature_algorithm=sys.argv[4].encode(), "
                + "include_headers=[b'from', b'to', b'subject', b'date', b'message-id'], length=" + (withLength ? "True" : "False") + ", "
                + "canonicalize=(b'relaxed', b'simple'))\nsys.stdout.buffer.write(sig)\n";
        Cmd.Result r = Cmd.run(PYTHON, "-c", script, in.toString(), key.toString(), selector, alg);
        assertThat(r.code()).as(r.err()).isZero();
        return r.outText().replaceAll("\r?\n", "\r\n") + message;
    }

    String opendkimSign(String message, String alg, String selector, Path key, String extraConf) throws Exception {
        Path in = dir.resolve("in-" + System.nanoTime() + ".eml");
        Files.writeString(in, message, StandardCharsets.ISO_8859_1);
        Path conf = dir.resolve("opendkim-sign.conf");
        Files.writeString(conf, "Syslog no\nMode s\nDomain sender.test\nSelector " + selector + "\nKeyFile " + key + "\nRequireSafeKeys false\n"
                + "SignatureAlgorithm " + alg + "\nCanonicalization relaxed/relaxed\n" + extraConf);
        Cmd.Result r = Cmd.run("opendkim", "-x", conf.toString(), "-t", in.toString());
        String out = r.outText();
        int at = out.indexOf("DKIM-Signature:");
        assertThat(at).as("opendkim -t printed a signature: " + out + r.err()).isGreaterThanOrEqualTo(0);
        return out.substring(at).strip().replaceAll("\r?\n", "\r\n") + "\r\n" + message;
    }

    /** dkimpy's verdict per signature of {@code message}, asking the test DNS server. */
    List<String> dkimpy(String message) throws Exception {
        Path in = dir.resolve("verify-" + System.nanoTime() + ".eml");
        Files.writeString(in, message, StandardCharsets.ISO_8859_1);
        Cmd.Result r = Cmd.run(in, Map.of(), PYTHON, verifyScript.toString(), "127.0.0.1", String.valueOf(dns.port()));
        assertThat(r.code()).as(r.err()).isZero();
        List<String> out = new ArrayList<>();
        for (String line : r.outText().split("\n")) {
            if (!line.isBlank()) {
                out.add(line.split(" ")[1]);
            }
        }
        return out;
    }

    /** Sends {@code message} in from outside to alice@example.com and returns what the next hop got. */
    String inbound(String message) throws Exception {
        int before = sink.messages.size();
        assertThat(send(null, "alice@example.com", message)).startsWith("250");
        return sink.messages.get(before).text();
    }

    /** Sends {@code message} from sam@sender.test to {@code rcpt}; {@code client}: the client Postfix names in XFORWARD (null: none). */
    String send(String client, String rcpt, String message) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO mx.sender.test");
            c.expect("250");
            if (client != null) {
                c.send("XFORWARD ADDR=" + client + " HELO=mx.elsewhere.test");
                c.expect("250");
            }
            return c.sendMail("sam@sender.test", List.of(rcpt), message);
        }
    }

    static String result(String delivered, String method) throws Exception {
        RawHeader h = RawHeader.read(new ByteArrayInputStream(delivered.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
        Matcher m = Pattern.compile(method + "=(\\w+)").matcher(h.fields().get(1).value());
        assertThat(m.find()).as(method + " in " + h.fields().get(1).value()).isTrue();
        return m.group(1);
    }

    /** OpenDMARC's verdict (its -t test mode, in a namespace where it finds the test DNS) for each message. */
    List<String> opendmarc(List<String> messages) throws Exception {
        Path d = Files.createDirectories(dir.resolve("opendmarc-" + System.nanoTime()));
        Path conf = d.resolve("opendmarc.conf");
        Files.writeString(conf, "TrustedAuthservIDs gw.test\nAuthservID checker.test\nSyslog false\n");
        StringBuilder cmd = new StringBuilder();
        for (int i = 0; i < messages.size(); i++) {
            Path f = d.resolve(i + ".eml");
            Files.writeString(f, messages.get(i), StandardCharsets.ISO_8859_1);
            cmd.append("opendmarc -vvv -c ").append(conf).append(" -t ").append(f).append("; ");
        }
        Cmd.Result r = dns.inNamespace(null, cmd.toString());
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("hvalue='checker\\.test; dmarc=(\\w+)").matcher(r.outText() + r.err());
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void spfAndDmarcDecideWhatTheDomainsAskFor() throws Exception {
        // From the client SPF names: spf and dmarc pass without a signature.
        String plainMail = plain("spf pass", "hello\r\n");
        String got = inbound(plainMail);
        assertThat(result(got, "spf")).isEqualTo("pass");
        assertThat(result(got, "dmarc")).isEqualTo("pass");
        // From a client SPF does not name (Postfix says so in XFORWARD): SPF fails; without an aligned
        // signature DMARC fails too, under sender.test's p=reject.
        int before = sink.messages.size();
        assertThat(send("192.0.2.7", "alice@example.com", plain("forged", "pay now\r\n"))).startsWith("250"); // example.com only tags
        got = sink.messages.get(before).text();
        assertThat(result(got, "spf")).isEqualTo("fail");
        assertThat(result(got, "dmarc")).isEqualTo("fail");
        assertThat(got).contains("dmarc=fail (p=reject) header.from=sender.test");
        String failed = got;
        // The same client, but the mail carries sender.test's signature: DKIM aligned, DMARC passes.
        before = sink.messages.size();
        assertThat(send("192.0.2.7", "alice@strict.example", dkimpySign(plain("signed", "ok\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), false)))
                .startsWith("250");
        got = sink.messages.get(before).text();
        assertThat(result(got, "spf")).isEqualTo("fail");
        assertThat(result(got, "dkim")).isEqualTo("pass");
        assertThat(result(got, "dmarc")).isEqualTo("pass");
        String signedPass = got;
        // OpenDMARC, reading our results (TrustedAuthservIDs gw.test) and the same DNS, agrees where DKIM decides.
        // (Its test mode has no envelope, and it does not take an SPF pass from the field alone: SPF-only
        // mail is "fail" there, so that case is not compared.)
        assertThat(opendmarc(List.of(failed, signedPass))).containsExactly("fail", "pass");
        // strict.example refuses DMARC failures under p=reject; hold.example quarantines them.
        before = sink.messages.size();
        assertThat(send("192.0.2.7", "alice@strict.example", plain("forged 2", "pay now\r\n"))).startsWith("550 5.7.1");
        assertThat(send("192.0.2.7", "alice@hold.example", plain("forged 3", "pay now\r\n"))).startsWith("250");
        assertThat(sink.messages.size()).as("neither reached the mailbox").isEqualTo(before);
        Cli.Run q = Cli.run("quarantine", "list", "-c", cfg.toString());
        assertThat(q.out()).contains("DMARC failed for sender.test");
        // DNS down: temperror everywhere, and even strict.example takes the mail. (SPF lookups are cached
        // for the records' TTL, 5 s in these zones: wait that out first.)
        Thread.sleep(6000);
        dns.close();
        try {
            assertThat(send("192.0.2.7", "alice@strict.example", plain("dns down 2", "later\r\n"))).startsWith("250");
        } finally {
            dns.start();
        }
        got = sink.messages.get(sink.messages.size() - 1).text();
        assertThat(result(got, "spf")).isEqualTo("temperror");
        assertThat(result(got, "dmarc")).isEqualTo("temperror");
    }

    /** dkimpy's verdict on the ARC chain of {@code message}: "pass", "fail" or "none". */
    String arcverify(String message) throws Exception {
        Path in = dir.resolve("arc-" + System.nanoTime() + ".eml");
        Files.writeString(in, message, StandardCharsets.ISO_8859_1);
        Cmd.Result r = Cmd.run(in, Map.of(), PYTHON, verifyScript.toString(), "127.0.0.1", String.valueOf(dns.port()), "arc");
        assertThat(r.code()).as(r.err()).isZero();
        return r.outText().strip();
    }

    /** {@code message} with an ARC set added by dkimpy for sender.test's relay mx.sender.test, which vouches spf=pass. */
    String arcSignedBySender(String message) throws Exception {
        String withAr = "Authentication-Results: mx.sender.test; spf=pass smtp.mailfrom=sam@sender.test\r\n" + message;
        Path in = dir.resolve("arcsign-" + System.nanoTime() + ".eml");
        Files.writeString(in, withAr, StandardCharsets.ISO_8859_1);
        String script = "import sys, dkim\nmsg = open(sys.argv[1], 'rb').read()\nkey = open(sys.argv[2], 'rb').read()\n"
                + "sig = dkim.arc_sign(msg, b'r1', b'sender.test', key, b'mx.sender.test')\nsys.stdout.buffer.write(b''.join(sig))\n";
        Cmd.Result r = Cmd.run(PYTHON, "-c", script, in.toString(), senderKeys.get("rsa").toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.outText().replaceAll("\r?\n", "\r\n") + withAr;
    }

    @Test
    void encryptedMailCarriesTheVerdictInAnArcSealThatArcverifyAccepts() throws Exception {
        // carol@example.com gets her mail encrypted to her key.
        org.bouncycastle.openpgp.PGPSecretKeyRing carol = org.mailseal.crypto.pgp.PgpKeys.generate("carol@example.com", null,
                org.mailseal.crypto.pgp.PgpKeys.Algo.CV25519);
        Path pub = dir.resolve("carol.asc");
        Files.write(pub, org.mailseal.crypto.pgp.PgpKeys.armor(org.mailseal.crypto.pgp.PgpKeys.publicRing(carol).getEncoded()));
        assertThat(Cli.run("keys", "import", pub.toString(), "-c", cfg.toString()).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "carol@example.com", "encrypt=mandatory", "-c", cfg.toString()).code()).isZero();
        Thread.sleep(1100); // the policy cache remembers a second
        String signed = dkimpySign(plain("sealed", "the secret\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), false);
        int before = sink.messages.size();
        assertThat(send(null, "carol@example.com", signed)).startsWith("250");
        String got = sink.messages.get(before).text();
        assertThat(got).contains("multipart/encrypted").doesNotContain("the secret");
        assertThat(got).startsWith("ARC-Seal: i=1; a=rsa-sha256;").contains("cv=none", "ARC-Message-Signature: i=1;", "d=example.com");
        // The sender's DKIM signature no longer verifies on the encrypted message; the seal does, and
        // carries the verdict from before the change.
        assertThat(dkimpy(got)).containsExactly("fail");
        assertThat(arcverify(got)).startsWith("arc pass");
        RawHeader h = RawHeader.read(new ByteArrayInputStream(got.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
        assertThat(h.first("ARC-Authentication-Results").value()).startsWith("i=1; gw.test;").contains("dkim=pass", "spf=pass", "dmarc=pass");

        // A message that arrives with a valid chain (sealed by the sender's relay): ours is i=2 with cv=pass.
        String chained = arcSignedBySender(dkimpySign(plain("chained", "the second secret\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), false));
        assertThat(arcverify(chained)).startsWith("arc pass");
        before = sink.messages.size();
        assertThat(send(null, "carol@example.com", chained)).startsWith("250");
        got = sink.messages.get(before).text();
        assertThat(got).startsWith("ARC-Seal: i=2; a=rsa-sha256;").contains("cv=pass");
        assertThat(arcverify(got)).startsWith("arc pass");
        h = RawHeader.read(new ByteArrayInputStream(got.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
        assertThat(h.fields().stream().filter(f -> f.is("ARC-Authentication-Results") && f.value().startsWith("i=2;")).findFirst().orElseThrow().value())
                .contains("arc=pass");
        // The decrypted message holds the same verdict inside.
        java.io.ByteArrayOutputStream clear = new java.io.ByteArrayOutputStream();
        org.mailseal.crypto.pgp.PgpDecryptor.decrypt(new ByteArrayInputStream(org.mailseal.testkit.ByteExact.armoredPart(got)), carol, clear);
        assertThat(clear.toString(StandardCharsets.ISO_8859_1)).contains("Authentication-Results: gw.test;", "arc=pass", "the second secret");
    }

    @Test
    void autocryptKeysAreLearnedOnlyFromAuthenticatedMail() throws Exception {
        org.bouncycastle.openpgp.PGPSecretKeyRing key = org.mailseal.crypto.pgp.PgpKeys.generate("sam@sender.test", null,
                org.mailseal.crypto.pgp.PgpKeys.Algo.CV25519);
        String b64 = Base64.getEncoder().encodeToString(org.mailseal.crypto.pgp.PgpKeys.publicRing(key).getEncoded());
        StringBuilder folded = new StringBuilder();
        for (int i = 0; i < b64.length(); i += 70) {
            folded.append("\r\n ").append(b64, i, Math.min(b64.length(), i + 70));
        }
        String withKey = "From: Sam <sam@sender.test>\r\nTo: alice@example.com\r\nSubject: my key\r\nAutocrypt: addr=sam@sender.test; keydata="
                + folded + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
        // Forged: from a client SPF does not name, unsigned: DMARC fails, no key is planted.
        assertThat(send("192.0.2.7", "alice@example.com", withKey)).startsWith("250");
        assertThat(Cli.run("keys", "list", "-c", cfg.toString()).out()).doesNotContain("sam@sender.test");
        // A domain with learning switched off learns nothing even from authenticated mail.
        assertThat(send(null, "alice@closed.example", dkimpySign(withKey, "rsa-sha256", "r1", senderKeys.get("rsa"), false))).startsWith("250");
        assertThat(Cli.run("keys", "list", "-c", cfg.toString()).out()).doesNotContain("sam@sender.test");
        // The same mail signed by sender.test: DMARC passes, the key is learned.
        assertThat(send("192.0.2.7", "alice@example.com", dkimpySign(withKey, "rsa-sha256", "r1", senderKeys.get("rsa"), false))).startsWith("250");
        assertThat(Cli.run("keys", "list", "-c", cfg.toString()).out()).contains("sam@sender.test", "source: store (harvested: Autocrypt header)");
    }

    static List<String> verdicts(String delivered) throws Exception {
        RawHeader h = RawHeader.read(new ByteArrayInputStream(delivered.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
        List<RawHeader.Field> ars = h.fields().stream().filter(f -> f.is("Authentication-Results")).toList();
        assertThat(ars).as("exactly one Authentication-Results").hasSize(1);
        assertThat(h.fields().get(0).is("Received") && h.fields().get(1).is("Authentication-Results"))
                .as("on top, below the gateway's own Received").isTrue();
        String v = ars.get(0).value();
        assertThat(v).startsWith("gw.test;");
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("dkim=(\\w+)").matcher(v);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void inboundVerdictsAgreeWithDkimpy() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        String base = plain("dinner", "Are you hungry yet?\r\n");
        cases.put("dkimpy rsa", dkimpySign(base, "rsa-sha256", "r1", senderKeys.get("rsa"), false));
        cases.put("dkimpy ed25519", dkimpySign(plain("ed dinner", "Hello.\r\n"), "ed25519-sha256", "e1", dir.resolve("sender-ed.dkimpy"), false));
        cases.put("opendkim rsa", opendkimSign(plain("opendkim", "Signed by OpenDKIM.\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), ""));
        cases.put("opendkim ed25519", opendkimSign(plain("opendkim ed", "Signed by OpenDKIM, Ed25519.\r\n"), "ed25519-sha256", "e1",
                senderKeys.get("ed25519"), ""));
        cases.put("body changed", dkimpySign(base, "rsa-sha256", "r1", senderKeys.get("rsa"), false).replace("hungry", "thirsty"));
        cases.put("header changed", opendkimSign(plain("pay me", "x\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), "")
                .replace("Subject: pay me", "Subject: pay them"));
        // Signed with a key the domain does not publish under that selector.
        Path other = dir.resolve("other.pem");
        Cmd.run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other.toString()).ok("genpkey");
        cases.put("wrong key", dkimpySign(plain("wrong key", "y\r\n"), "rsa-sha256", "r1", other, false));
        cases.put("unpublished selector", dkimpySign(plain("no key", "z\r\n"), "rsa-sha256", "nosuch", senderKeys.get("rsa"), false));
        cases.put("unsigned", plain("unsigned", "nothing\r\n"));
        Map<String, List<String>> ours = new LinkedHashMap<>();
        Map<String, List<String>> theirs = new LinkedHashMap<>();
        for (Map.Entry<String, String> c : cases.entrySet()) {
            ours.put(c.getKey(), verdicts(inbound(c.getValue())));
            theirs.put(c.getKey(), dkimpy(c.getValue()));
        }
        assertThat(ours.get("dkimpy rsa")).containsExactly("pass");
        assertThat(ours.get("dkimpy ed25519")).containsExactly("pass");
        assertThat(ours.get("opendkim rsa")).containsExactly("pass");
        assertThat(ours.get("opendkim ed25519")).containsExactly("pass");
        assertThat(ours.get("body changed")).containsExactly("fail");
        assertThat(ours.get("header changed")).containsExactly("fail");
        assertThat(ours.get("wrong key")).containsExactly("fail");
        assertThat(ours.get("unpublished selector")).containsExactly("permerror");
        assertThat(ours.get("unsigned")).containsExactly("none");
        for (String k : cases.keySet()) {
            if (k.equals("unsigned")) {
                assertThat(theirs.get(k)).isEmpty();
                continue;
            }
            // dkimpy says pass or fail; ours refines a fail into permerror where the key is missing.
            assertThat(theirs.get(k)).as(k).containsExactly(ours.get(k).get(0).equals("pass") ? "pass" : "fail");
        }
    }

    @Test
    void expiredAndPartialSignatures() throws Exception {
        // Expired eleven hours ago (x=, RFC 6376 §3.5); dkimpy allows ten hours of clock skew, mailseal five minutes.
        String expired = expiredSignature(plain("expired", "long gone\r\n"));
        assertThat(verdicts(inbound(expired))).containsExactly("fail");
        assertThat(dkimpy(expired)).containsExactly("fail");
        // OpenDKIM's x= one second after t=: inside both verifiers' allowance for clocks.
        String expiring = opendkimSign(plain("expiring", "soon gone\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), "SignatureTTL 1\n");
        assertThat(expiring).contains("x=");
        assertThat(verdicts(inbound(expiring))).containsExactly("pass");
        assertThat(dkimpy(expiring)).containsExactly("pass");
        // l=: the signer covers the first body bytes; an attacker appends a link. dkimpy passes it, mailseal
        // reports policy (RFC 6376 §8.2): it proves nothing about what the recipient reads.
        String partial = dkimpySign(plain("partial", "Signed text.\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), true);
        assertThat(partial).contains(" l=");
        assertThat(verdicts(inbound(partial))).containsExactly("pass");
        String appended = partial + "\r\nUrgent: http://evil.test/\r\n";
        assertThat(dkimpy(appended)).containsExactly("pass");
        assertThat(verdicts(inbound(appended))).containsExactly("policy");
    }

    @Test
    void dnsDownIsTemperrorAndNothingIsRejected() throws Exception {
        String signed = dkimpySign(plain("dns down", "still delivered\r\n"), "rsa-sha256", "r1", senderKeys.get("rsa"), false);
        dns.close();
        try {
            assertThat(verdicts(inbound(signed))).containsExactly("temperror");
        } finally {
            dns.start();
        }
        assertThat(verdicts(inbound(signed))).containsExactly("pass");
    }

    @Test
    void spoofedAuthenticationResultsAreReplaced() throws Exception {
        String forged = "Authentication-Results: gw.test; dkim=pass header.d=example.com\r\n" + plain("forged", "trust me\r\n");
        String got = inbound(forged);
        assertThat(verdicts(got)).containsExactly("none");
        assertThat(got).doesNotContain("header.d=example.com");
    }

    @Test
    void outboundCorpusVerifiesWithDkimpyAndOpenDkim() throws Exception {
        List<Corpus.Message> corpus = Corpus.load("encrypt");
        Path out = Files.createDirectories(dir.resolve("outbound"));
        int n = 0;
        for (Corpus.Message m : corpus) {
            Corpus.Message ours = new Corpus.Message(m.name(), fromAlice(m.bytes()));
            int before = sink.messages.size();
            assertThat(Corpus.send(port, ours, "bob@remote.test", "alice@example.com")).as(m.name()).startsWith("250");
            String got = new String(sink.messages.get(before).data(), StandardCharsets.ISO_8859_1);
            assertThat(got).as(m.name()).startsWith("DKIM-Signature: v=1; a=");
            List<String> v = dkimpy(got);
            if (v.equals(List.of("unparseable"))) {
                // dkimpy refuses obsolete header syntax (RFC 5322 §4.5); OpenDKIM below still verifies it.
                assertThat(m.name()).isEqualTo("35-odd-whitespace.eml");
            } else {
                assertThat(v).as(m.name() + " (dkimpy)").containsExactly("pass", "pass");
            }
            // OpenDKIM reports one signature per message: the Ed25519 one on top, and, in a copy without it, the RSA one.
            Files.writeString(out.resolve(String.format("%02d-ed.eml", n)), got, StandardCharsets.ISO_8859_1);
            RawHeader h = RawHeader.read(new ByteArrayInputStream(got.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
            assertThat(h.fields().get(0).value()).contains("a=ed25519-sha256");
            Files.writeString(out.resolve(String.format("%02d-rsa.eml", n)), got.substring(h.fields().get(0).raw().length), StandardCharsets.ISO_8859_1);
            n++;
        }
        assertThat(n).isGreaterThanOrEqualTo(40);
        assertOpenDkimVerifies(out, n);
    }

    /**
     * OpenDKIM verifies {@code NN-ed.eml} (its Ed25519 signature, on top) and {@code NN-rsa.eml} (the same
     * message without it: OpenDKIM reports one signature per message) in {@code out}, for NN below {@code n}.
     * OpenDKIM asks port 53 only: it runs in a namespace of its own with the same zones there.
     */
    void assertOpenDkimVerifies(Path out, int n) throws Exception {
        Path conf = dir.resolve("opendkim-verify.conf");
        Files.writeString(conf, "Syslog no\nMode v\nNameservers 127.0.0.1\n");
        Cmd.Result r = dns.inNamespace(null, "for f in " + out + "/*.eml; do opendkim -x " + conf + " -t $f; done");
        String report = r.outText() + r.err();
        for (int i = 0; i < n; i++) {
            for (String alg : List.of("ed", "rsa")) {
                String f = out.resolve(String.format("%02d-%s.eml", i, alg)).toString();
                String selector = alg.equals("ed") ? "e" : "r";
                long ok = report.lines().filter(l -> l.startsWith("opendkim: " + f + ": verification (s=ms") && l.contains(selector + ", d=example.com")
                        && l.endsWith("succeeded")).count();
                assertThat(ok).as(f + ":\n" + report).isEqualTo(1);
            }
        }
        assertThat(report).doesNotContain("failed");
    }

    /** {@code message} signed by sender.test's RSA key with t= twelve and x= eleven hours ago. */
    String expiredSignature(String message) throws Exception {
        byte[] pkcs8 = Cmd.run("openssl", "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", senderKeys.get("rsa").toString()).ok("openssl pkcs8").out();
        java.security.PrivateKey key = java.security.KeyFactory.getInstance("RSA").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
        ByteArrayInputStream in = new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1));
        RawHeader h = RawHeader.read(in, 1 << 20);
        byte[] bh = org.mailseal.mailauth.dkim.BodyHash.of(in, org.mailseal.mailauth.dkim.Canonicalization.RELAXED);
        long now = java.time.Instant.now().getEpochSecond();
        String head = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.test; s=r1; t=" + (now - 12 * 3600) + "; x=" + (now - 11 * 3600)
                + "; h=from:to:subject; bh=" + Base64.getEncoder().encodeToString(bh) + "; b=";
        byte[] data = org.mailseal.mailauth.dkim.SignedHeaders.data(h.fields(), List.of("from", "to", "subject"),
                org.mailseal.mailauth.dkim.Canonicalization.RELAXED, (head + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        java.security.Signature s = java.security.Signature.getInstance("SHA256withRSA");
        s.initSign(key);
        s.update(data);
        return head + Base64.getEncoder().encodeToString(s.sign()) + "\r\n" + message;
    }

    /**
     * Mail a user sends encrypted to the gateway's relay key (and signed by the user inside, as the relay
     * key demands), the whole corpus: the gateway decrypts it, and what it relays carries signatures that
     * dkimpy and OpenDKIM verify.
     */
    @Test
    void decryptedOutboundMailIsSignedLast() throws Exception {
        org.mailseal.testkit.Gpg gpg = new org.mailseal.testkit.Gpg(dir.resolve("gnupg"));
        try {
            Cli.Run relay = Cli.run("keys", "relay-key", "--domain", "example.com", "-c", cfg.toString());
            assertThat(relay.code()).as(relay.err()).isZero();
            Matcher fpr = Pattern.compile("OpenPGP relay key for example.com: ([0-9A-F]+)").matcher(relay.out());
            assertThat(fpr.find()).as(relay.out()).isTrue();
            Cli.Run exp = Cli.run("keys", "export", fpr.group(1), "-c", cfg.toString());
            assertThat(exp.code()).as(exp.err()).isZero();
            Files.writeString(dir.resolve("relay.asc"), exp.out());
            gpg.run("--import", dir.resolve("relay.asc").toString()).ok("gpg --import");
            gpg.run("--passphrase", "", "--quick-gen-key", "<alice@example.com>", "future-default", "default", "never").ok("gpg key");
            Files.write(dir.resolve("alice.asc"), gpg.run("--armor", "--export", "alice@example.com").ok("export").out());
            assertThat(Cli.run("keys", "import", dir.resolve("alice.asc").toString(), "-c", cfg.toString()).code()).isZero();
            int n = 0;
            Path out = Files.createDirectories(dir.resolve("decrypted"));
            for (Corpus.Message m : Corpus.load("encrypt")) {
                Path innerFile = dir.resolve("inner-" + n + ".eml");
                Files.write(innerFile, fromAlice(m.bytes()));
                String armored = gpg.run("--trust-model", "always", "--sign", "-u", "alice@example.com", "--armor", "--encrypt",
                        "-r", "mailseal-relay@example.com", "--output", "-", innerFile.toString()).ok("gpg encrypt").outText();
                String msg = "From: Alice <alice@example.com>\r\nTo: <bob@remote.test>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n--b1\r\n"
                        + "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
                        + armored.replaceAll("\r?\n", "\r\n") + "\r\n--b1--\r\n";
                int before = sink.messages.size();
                try (SmtpClient c = new SmtpClient(port)) {
                    c.expect("220");
                    c.send("EHLO client.example.com");
                    c.expect("250");
                    assertThat(c.sendMail("alice@example.com", List.of("bob@remote.test"), msg)).as(m.name()).startsWith("250");
                }
                String got = new String(sink.messages.get(before).data(), StandardCharsets.ISO_8859_1);
                String inner = Files.readString(innerFile, StandardCharsets.ISO_8859_1);
                int bodyAt = inner.indexOf("\r\n\r\n");
                // Relayed decrypted (the original body, not the ciphertext) and signed on top.
                assertThat(got).as(m.name()).startsWith("DKIM-Signature: ").contains(bodyAt < 0 ? "" : inner.substring(bodyAt))
                        .doesNotContain("multipart/encrypted");
                List<String> v = dkimpy(got);
                if (v.equals(List.of("unparseable"))) {
                    assertThat(m.name()).isEqualTo("35-odd-whitespace.eml"); // OpenDKIM below checks it
                } else {
                    assertThat(v).as(m.name() + " (dkimpy)").containsExactly("pass", "pass");
                }
                RawHeader h = RawHeader.read(new ByteArrayInputStream(got.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
                Files.writeString(out.resolve(String.format("%02d-ed.eml", n)), got, StandardCharsets.ISO_8859_1);
                Files.writeString(out.resolve(String.format("%02d-rsa.eml", n)), got.substring(h.fields().get(0).raw().length), StandardCharsets.ISO_8859_1);
                n++;
            }
            assertThat(n).isGreaterThanOrEqualTo(40);
            assertOpenDkimVerifies(out, n);
        } finally {
            gpg.stop();
        }
    }

    /**
     * The message with its From fields replaced by one for alice@example.com, the gateway's own domain. A
     * byte-order mark in front of the header goes too: with it the first field is no From, and neither dkimpy
     * nor OpenDKIM read such a header at all.
     */
    static byte[] fromAlice(byte[] message) throws Exception {
        boolean bom = message.length >= 3 && (message[0] & 0xff) == 0xef && (message[1] & 0xff) == 0xbb && (message[2] & 0xff) == 0xbf;
        ByteArrayInputStream in = new ByteArrayInputStream(message, bom ? 3 : 0, message.length - (bom ? 3 : 0));
        RawHeader h = RawHeader.read(in, 1 << 20);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("From: Alice <alice@example.com>\r\n".getBytes(StandardCharsets.US_ASCII));
        for (RawHeader.Field f : h.fields()) {
            if (!f.is("From")) {
                o.writeBytes(f.raw());
            }
        }
        if (h.hasBody()) {
            o.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        o.writeBytes(in.readAllBytes());
        return o.toByteArray();
    }
}
