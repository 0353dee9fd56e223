package org.mailseal.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestCa;
import org.mailseal.testkit.TestGateway;

/**
 * The optional key sources, off by default: a Verifying Key Server and an HKP server (here one HTTPS
 * server on loopback, with a certificate from a test CA the gateway trusts by config), and an LDAP
 * directory (OpenLDAP's slapd, Debian {@code slapd}) holding an S/MIME certificate under the test CA. Each
 * key found encrypts; a key whose user ID is another address, and a certificate the S/MIME anchors do not
 * vouch for, are not used, so mail under mandatory encryption to those recipients is refused, not sent plain.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "openssl=openssl", "slapd=slapd", "slapadd=slapd"})
class KeySourcesTest {

    Path dir;
    Gpg vera;
    Gpg harry;
    HttpsServer keyserver;
    Process slapd;
    CapturingSink sink;
    Gateway gw;
    int port;
    final Map<String, byte[]> served = new ConcurrentHashMap<>();

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        Peers.require("openssl", "openssl");
        Peers.require("slapd", "slapd");
        Peers.require("slapadd", "slapd");
        dir = Files.createTempDirectory("keysources");
        TestCa ca = TestCa.make(dir.resolve("ca"), "localhost");

        vera = new Gpg(dir.resolve("vera"));
        vera.run("--passphrase", "", "--quick-gen-key", "<vera@v.test>", "future-default", "default", "never").ok("gpg key");
        harry = new Gpg(dir.resolve("harry"));
        harry.run("--passphrase", "", "--quick-gen-key", "<harry@h.test>", "future-default", "default", "never").ok("gpg key");
        served.put("/vks/v1/by-email/vera%40v.test", vera.run("--export", "vera@v.test").ok("export").out());
        served.put("/pks/lookup?op=get&options=mr&search=harry%40h.test", harry.run("--armor", "--export", "harry@h.test").ok("export").out());
        // An HKP server that checks nothing: mallory's key, uploaded for victim@h.test.
        Gpg mallory = new Gpg(dir.resolve("mallory"));
        mallory.run("--passphrase", "", "--quick-gen-key", "<mallory@evil.test>", "future-default", "default", "never").ok("gpg key");
        served.put("/pks/lookup?op=get&options=mr&search=victim%40h.test", mallory.run("--armor", "--export").ok("export").out());
        mallory.stop();

        keyserver = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        keyserver.setHttpsConfigurator(new HttpsConfigurator(org.mailseal.smtp.ServerTls.context(ca.certificate(), ca.pkcs8Key(), dir, "localhost")));
        keyserver.createContext("/", x -> {
            byte[] body = served.get(x.getRequestURI().getRawPath() + (x.getRequestURI().getRawQuery() != null ? "?" + x.getRequestURI().getRawQuery() : ""));
            x.sendResponseHeaders(body != null ? 200 : 404, body != null ? body.length : -1);
            if (body != null) {
                x.getResponseBody().write(body);
            }
            x.close();
        });
        keyserver.start();

        // dora@d.test's S/MIME certificate, from the test CA, in an LDAP directory.
        Path d = dir.resolve("ca");
        Cmd.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d.resolve("dora.key").toString(), "-subj", "/CN=dora",
                "-out", d.resolve("dora.csr").toString()).ok("openssl req");
        Files.writeString(d.resolve("dora.ext"), "subjectAltName=email:dora@d.test\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n");
        Cmd.run("openssl", "x509", "-req", "-in", d.resolve("dora.csr").toString(), "-CA", ca.caCertificate().toString(), "-CAkey",
                d.resolve("ca.key").toString(), "-CAcreateserial", "-out", d.resolve("dora.pem").toString(), "-days", "2", "-extfile",
                d.resolve("dora.ext").toString()).ok("openssl sign");
        Cmd.run("openssl", "x509", "-in", d.resolve("dora.pem").toString(), "-outform", "DER", "-out", d.resolve("dora.der").toString()).ok("der");
        // and a self-made one for sam@d.test, which no anchor vouches for
        Cmd.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.resolve("sam.key").toString(), "-subj", "/CN=sam",
                "-addext", "subjectAltName=email:sam@d.test", "-out", d.resolve("sam.pem").toString(), "-days", "2").ok("openssl self-signed");
        Cmd.run("openssl", "x509", "-in", d.resolve("sam.pem").toString(), "-outform", "DER", "-out", d.resolve("sam.der").toString()).ok("der");
        int ldapPort = TestGateway.freePort();
        Path ldap = Files.createDirectories(dir.resolve("ldap"));
        Files.createDirectories(ldap.resolve("db"));
        Files.writeString(ldap.resolve("slapd.conf"), "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
                + "include /etc/ldap/schema/inetorgperson.schema\npidfile " + ldap.resolve("slapd.pid") + "\nmodulepath /usr/lib/ldap\n"
                + "moduleload back_mdb\ndatabase mdb\nsuffix \"dc=example,dc=test\"\nrootdn \"cn=admin,dc=example,dc=test\"\nrootpw secret\n"
                + "directory " + ldap.resolve("db") + "\n");
        Files.writeString(ldap.resolve("data.ldif"), "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: example\ndc: example\n\n"
                + person("dora", Files.readAllBytes(d.resolve("dora.der"))) + person("sam", Files.readAllBytes(d.resolve("sam.der"))));
        Cmd.run("slapadd", "-f", ldap.resolve("slapd.conf").toString(), "-l", ldap.resolve("data.ldif").toString()).ok("slapadd");
        slapd = new ProcessBuilder("slapd", "-d", "0", "-f", ldap.resolve("slapd.conf").toString(), "-h", "ldap://127.0.0.1:" + ldapPort + "/")
                .redirectErrorStream(true).redirectOutput(ldap.resolve("slapd.log").toFile()).start();
        TestGateway.waitForPort(ldapPort, java.time.Duration.ofSeconds(20));

        sink = new CapturingSink();
        port = TestGateway.freePort();
        gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(), "domains: {local: [a.test]}",
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                "smime: {trustAnchors: [\"" + ca.caCertificate() + "\"]}",
                "discovery: {order: [keyservers, ldap], trustAnchors: \"" + ca.caCertificate() + "\", timeout: 3s, keyservers: [\"vks:https://localhost:"
                        + keyserver.getAddress().getPort() + "\", \"hkp:https://localhost:" + keyserver.getAddress().getPort() + "\"],"
                        + " ldap: {url: \"ldap://127.0.0.1:" + ldapPort + "\", base: \"dc=example,dc=test\"}}",
                "outbound: {encrypt: mandatory}"));
    }

    static String person(String name, byte[] der) {
        return "dn: cn=" + name + ",dc=example,dc=test\nobjectClass: inetOrgPerson\ncn: " + name + "\nsn: " + name + "\nmail: " + name + "@d.test\n"
                + "userCertificate;binary:: " + Base64.getEncoder().encodeToString(der) + "\n\n";
    }

    @AfterAll
    void tearDown() throws Exception {
        if (keyserver != null) {
            keyserver.stop(0);
        }
        Cleanup.all(dir, gw, sink, slapd, vera, harry);
    }

    String send(String to, String body) throws Exception {
        return SmtpClient.submit(port, "client.a.test", "alice@a.test", to,
                "From: alice@a.test\r\nTo: " + to + "\r\nSubject: found\r\n\r\n" + body + "\r\n");
    }

    String pgpPart(String text) {
        return text.substring(text.indexOf("-----BEGIN PGP MESSAGE-----"), text.indexOf("-----END PGP MESSAGE-----") + 25);
    }

    @Test
    void keysFromAVerifyingKeyServerAndHkpEncrypt() throws Exception {
        int before = sink.messages.size();
        assertThat(send("vera@v.test", "vks secret")).startsWith("250");
        assertThat(send("harry@h.test", "hkp secret")).startsWith("250");
        Path enc = dir.resolve("m.asc");
        Files.writeString(enc, pgpPart(sink.messages.get(before).text()));
        assertThat(vera.run("--decrypt", enc.toString()).ok("decrypt").outText()).contains("vks secret");
        Files.writeString(enc, pgpPart(sink.messages.get(before + 1).text()));
        assertThat(harry.run("--decrypt", enc.toString()).ok("decrypt").outText()).contains("hkp secret");
        // A key on the HKP server whose user ID is another address is not victim's key.
        assertThat(send("victim@h.test", "not for mallory")).startsWith("550 5.7.1");
        assertThat(sink.messages).hasSize(before + 2);
    }

    @Test
    void certificatesFromLdapEncryptWhenTheAnchorsVouchForThem() throws Exception {
        int before = sink.messages.size();
        assertThat(send("dora@d.test", "ldap secret")).startsWith("250");
        Path msg = dir.resolve("dora.eml");
        Files.write(msg, sink.messages.get(before).data());
        assertThat(new String(sink.messages.get(before).data())).contains("application/pkcs7-mime").doesNotContain("ldap secret");
        Path ca = dir.resolve("ca");
        String plain = Cmd.run("openssl", "cms", "-decrypt", "-in", msg.toString(), "-recip", ca.resolve("dora.pem").toString(),
                "-inkey", ca.resolve("dora.key").toString()).ok("openssl cms -decrypt").outText();
        assertThat(plain).contains("ldap secret");
        // sam's certificate is in the directory, but no anchor vouches for it.
        assertThat(send("sam@d.test", "not to an unvouched certificate")).startsWith("550 5.7.1");
        assertThat(sink.messages).hasSize(before + 1);
    }
}
