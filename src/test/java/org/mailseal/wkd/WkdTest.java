package org.mailseal.wkd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.Knot;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestGateway;

/**
 * The Web Key Directory against GnuPG and curl:
 * <ul>
 * <li>mailseal's hashes agree with {@code gpg-wks-client --print-wkd-hash}, the draft's example included;</li>
 * <li>the gateway's HTTPS listener serves a user's key by the advanced and the direct method, reduced to
 * the user ID that is the address, and nothing for others;</li>
 * <li>{@code mailseal wkd export} writes a tree from which {@code gpg --auto-key-locate clear,nodefault,wkd}
 * fetches and uses the key. That part runs in a private network namespace, where a DNS server (Knot)
 * names openpgpkey.example.com 127.0.0.1, a static HTTPS server serves the tree on port 443, and the
 * test CA is the system's trust store: gpg cannot be pointed at a port or a CA otherwise.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "/usr/lib/gnupg/gpg-wks-client=gnupg", "curl=curl", "openssl=openssl", "knotd=knot", "unshare=util-linux",
        "ip=iproute2"})
class WkdTest {

    static final String WKS = "/usr/lib/gnupg/gpg-wks-client";
    Path dir;
    Gpg gpg;
    CapturingSink sink;
    Gateway gw;
    Path cfg;
    int wkdPort;
    String carolFpr;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        Peers.requirePath(WKS, "gnupg");
        Peers.require("curl", "curl");
        Peers.require("openssl", "openssl");
        Peers.require("knotd", "knot");
        Peers.require("unshare", "util-linux");
        Peers.require("ip", "iproute2");
        dir = Files.createTempDirectory("wkd");
        gpg = new Gpg(dir.resolve("gnupg"));
        sink = new CapturingSink();
        int port = TestGateway.freePort();
        wkdPort = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(), TestGateway.masterKeys(dir, "wkd master"),
                "wkd: {enabled: true, listen: \"127.0.0.1:" + wkdPort + "\"}"));
        // bob's own key has a second user ID at another domain: the directory must not publish it.
        gpg.run("--passphrase", "", "--quick-gen-key", "Bob <bob@example.com>", "future-default", "default", "never").ok("gpg key");
        gpg.run("--passphrase", "", "--quick-add-uid", "bob@example.com", "Bob <bob@elsewhere.test>").ok("gpg add uid");
        Path bob = dir.resolve("bob.asc");
        Files.write(bob, gpg.run("--armor", "--export", "bob@example.com").ok("export").out());
        assertThat(Cli.run("keys", "import", bob.toString(), "-c", cfg.toString()).code()).isZero();
        Cli.Run gen = Cli.run("keys", "generate", "--email", "carol@example.com", "-c", cfg.toString());
        assertThat(gen.code()).as(gen.err()).isZero();
        carolFpr = gen.out().split(" ")[1];
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
        if (gpg != null) {
            gpg.stop();
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void hashesAgreeWithGnupg() throws Exception {
        // The first is the example of draft-koch-openpgp-webkey-service §3.1.
        for (String a : List.of("Joe.Doe@Example.ORG", "bob@example.com", "a.b-c+d@Example.com", "ÜNÏ@example.org", "x@y.test")) {
            String theirs = Cmd.run(WKS, "--print-wkd-hash", a).ok("gpg-wks-client").outText().split(" ")[0];
            assertThat(WkdHash.of(a.substring(0, a.lastIndexOf('@')))).as(a).isEqualTo(theirs);
        }
        assertThat(WkdHash.of("Joe.Doe")).isEqualTo("iy9q119eutrkn8s1mk4r39qejnbu3n5q");
    }

    /** curl GET of {@code path} at host {@code host} (resolved to the gateway's WKD listener); the body, or null on 404. */
    byte[] fetch(String host, String path) throws Exception {
        Path out = dir.resolve("fetched-" + System.nanoTime());
        Cmd.Result r = Cmd.run("curl", "-s", "-k", "-o", out.toString(), "-w", "%{http_code}", "--resolve", host + ":" + wkdPort + ":127.0.0.1",
                "https://" + host + ":" + wkdPort + path);
        assertThat(r.code()).as(r.err()).isZero();
        String status = r.outText();
        if (status.equals("404")) {
            return null;
        }
        assertThat(status).isEqualTo("200");
        return Files.exists(out) ? Files.readAllBytes(out) : new byte[0];
    }

    static List<String> userIds(byte[] binary) throws Exception {
        PGPPublicKeyRing ring = PgpKeys.parsePublic(binary);
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = ring.getPublicKey().getUserIDs(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    @Test
    void theGatewayServesEachKeyWithOnlyTheAddressUserId() throws Exception {
        String bob = WkdHash.of("bob");
        byte[] advanced = fetch("openpgpkey.example.com", "/.well-known/openpgpkey/example.com/hu/" + bob + "?l=bob");
        assertThat(advanced).isNotNull();
        assertThat(userIds(advanced)).containsExactly("Bob <bob@example.com>");
        byte[] direct = fetch("example.com", "/.well-known/openpgpkey/hu/" + bob);
        assertThat(direct).isEqualTo(advanced);
        assertThat(fetch("openpgpkey.example.com", "/.well-known/openpgpkey/example.com/policy")).isEmpty();
        assertThat(fetch("example.com", "/.well-known/openpgpkey/policy")).isEmpty();
        // Nobody by that name, another domain, or a path that is no WKD path: 404, nothing else said.
        assertThat(fetch("openpgpkey.example.com", "/.well-known/openpgpkey/example.com/hu/" + WkdHash.of("nobody"))).isNull();
        assertThat(fetch("openpgpkey.elsewhere.test", "/.well-known/openpgpkey/elsewhere.test/hu/" + bob)).isNull();
        assertThat(fetch("example.com", "/.well-known/openpgpkey/hu/../../etc/passwd")).isNull();
        // gpg reads what the gateway serves.
        Path f = dir.resolve("carol.wkd");
        Files.write(f, fetch("openpgpkey.example.com", "/.well-known/openpgpkey/example.com/hu/" + WkdHash.of("carol")));
        String shown = gpg.run("--import-options", "show-only", "--import", f.toString()).ok("gpg show-only").outText();
        assertThat(shown).contains(carolFpr, "carol@example.com");
    }

    /**
     * {@code mailseal dns-records}: the output loads into Knot as it is; OPENPGPKEY owner names agree with
     * GnuPG's own (export-dane) and the records are served; gpg's DANE method finds the key by them; the
     * SMIMEA record holds the issued certificate; the TLSA record names the gateway's SMTP key.
     */
    @Test
    void dnsRecordsLoadAsTheyAreAndGpgFindsTheKeyByDane() throws Exception {
        assertThat(Cli.run("dkim", "generate", "--domain", "example.com", "--algorithm", "rsa", "-c", cfg.toString()).code()).isZero();
        Cli.Run ca = Cli.run("ca", "init", "-c", cfg.toString());
        assertThat(ca.code()).as(ca.err()).isZero();
        assertThat(Cli.run("ca", "issue", "--email", "erin@example.com", "-c", cfg.toString()).code()).isZero();
        Cli.Run rec = Cli.run("dns-records", "--domain", "example.com", "-c", cfg.toString());
        assertThat(rec.code()).as(rec.err()).isZero();
        String zone = rec.out();
        assertThat(zone).contains("._domainkey.example.com. 3600 IN TXT", "openpgpkey.example.com. 3600 IN CNAME gw.test.",
                "_25._tcp.gw.test. 3600 IN TLSA 3 1 1 ", "._smimecert.example.com. 3600 IN SMIMEA 3 0 0", "<erin@example.com>");
        // GnuPG's own OPENPGPKEY owner name for bob.
        String dane = gpg.run("--export", "--export-options", "export-dane", "bob@example.com").ok("gpg export-dane").outText();
        Matcher owner = Pattern.compile("(?m)^([0-9a-f]{56}) TYPE61").matcher(dane);
        assertThat(owner.find()).as(dane).isTrue();
        assertThat(zone).contains(owner.group(1) + "._openpgpkey.example.com. 3600 IN OPENPGPKEY");
        try (Knot dns = new Knot(dir.resolve("dns-records"))) {
            dns.zone("example.com", zone + "\ngw A 127.0.0.1"); // throws unless Knot loads it
            dns.start();
            org.mailseal.dns.DnsResolver resolver = new org.mailseal.dns.DnsResolver(new org.mailseal.config.Dns(
                    List.of(org.mailseal.config.HostPort.parse("127.0.0.1:" + dns.port())), java.time.Duration.ofSeconds(2)));
            var pgp = resolver.lookup(owner.group(1) + "._openpgpkey.example.com", org.xbill.DNS.Type.OPENPGPKEY);
            assertThat(pgp.status()).isEqualTo(org.mailseal.dns.DnsResolver.Status.FOUND);
            byte[] served = ((org.xbill.DNS.OPENPGPKEYRecord) pgp.records().get(0)).getCert();
            assertThat(userIds(served)).containsExactly("Bob <bob@example.com>");
            var smimea = resolver.lookup(org.mailseal.publish.DnsRecords.hashLabel("erin") + "._smimecert.example.com", org.xbill.DNS.Type.SMIMEA);
            assertThat(smimea.status()).isEqualTo(org.mailseal.dns.DnsResolver.Status.FOUND);
            java.security.cert.X509Certificate erin = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(((org.xbill.DNS.SMIMEARecord) smimea.records().get(0)).getCertificateAssociationData()));
            assertThat(erin.getSubjectAlternativeNames().toString()).contains("erin@example.com");
            // gpg's DANE method (dirmngr asks port 53): in a namespace with the same zone.
            Path home = Files.createDirectories(dir.resolve("dane-gnupg"));
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            Cmd.Result r = dns.inNamespace(null, "gpg --homedir '" + home + "' --batch --auto-key-locate clear,nodefault,dane --locate-keys bob@example.com;"
                    + " rc=$?; gpgconf --homedir '" + home + "' --kill all; exit $rc");
            assertThat(r.code()).as(r.outText() + r.err()).isZero();
            assertThat(r.outText()).contains("bob@example.com");
        }
    }

    @Test
    void gpgFindsTheExportedKeyByWkd() throws Exception {
        Cli.Run dave = Cli.run("keys", "generate", "--email", "dave@example.com", "-c", cfg.toString());
        assertThat(dave.code()).as(dave.err()).isZero();
        String daveFpr = dave.out().split(" ")[1];
        Path tree = dir.resolve("export");
        Cli.Run exp = Cli.run("wkd", "export", tree.toString(), "-c", cfg.toString());
        assertThat(exp.code()).as(exp.err()).isZero();
        assertThat(exp.out()).contains("example.com: 3 addresses");
        assertThat(tree.resolve(".well-known/openpgpkey/example.com/hu/" + WkdHash.of("carol"))).exists();
        assertThat(tree.resolve(".well-known/openpgpkey/example.com/policy")).exists();
        // A test CA and a certificate for openpgpkey.example.com.
        org.mailseal.testkit.TestCa tls = org.mailseal.testkit.TestCa.make(dir.resolve("ca"), "openpgpkey.example.com", "example.com");
        Path ca = tls.caCertificate();
        Path crt = tls.certificate();
        Path key = tls.privateKey();
        Path serve = dir.resolve("serve.py");
        Files.write(serve, getClass().getResourceAsStream("/wkd/serve.py").readAllBytes());
        Path home = Files.createDirectories(dir.resolve("fresh-gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        try (Knot dns = new Knot(dir.resolve("dns"))) {
            dns.zone("example.com", "@ A 127.0.0.1\nopenpgpkey A 127.0.0.1");
            Cmd.Result r = dns.inNamespace(null, "mount --bind '" + ca + "' /etc/ssl/certs/ca-certificates.crt;"
                    + " /usr/bin/python3 '" + serve + "' '" + tree + "' '" + crt + "' '" + key + "' 2>'" + dir.resolve("https.log") + "' & PY=$!;"
                    + " sleep 1; gpg --homedir '" + home + "' --batch --auto-key-locate clear,nodefault,wkd --locate-keys carol@example.com; rc=$?;"
                    + " gpgconf --homedir '" + home + "' --kill all; kill $PY; exit $rc");
            assertThat(r.code()).as(r.outText() + r.err()).isZero();
            assertThat(r.outText()).contains(carolFpr, "carol@example.com");
            assertThat(Files.readString(dir.resolve("https.log"))).contains("GET /.well-known/openpgpkey/example.com/hu/" + WkdHash.of("carol"));
        }
        // A key that is gone from the store is gone from the tree at the next export.
        assertThat(Cli.run("keys", "delete", daveFpr, "-c", cfg.toString()).code()).isZero();
        Cli.Run again = Cli.run("wkd", "export", tree.toString(), "-c", cfg.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(tree.resolve(".well-known/openpgpkey/example.com/hu/" + WkdHash.of("dave"))).doesNotExist();
        assertThat(new String(Files.readAllBytes(tree.resolve(".well-known/openpgpkey/example.com/hu/" + WkdHash.of("bob"))),
                StandardCharsets.ISO_8859_1)).isNotEmpty();
        Matcher m = Pattern.compile("wrote (\\d+) keys").matcher(again.out());
        assertThat(m.find() && m.group(1).equals("2")).as(again.out()).isTrue();
    }
}
