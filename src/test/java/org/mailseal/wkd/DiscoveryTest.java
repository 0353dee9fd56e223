package org.mailseal.wkd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.Knot;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * Two mailseal sites: a.test finds bob@b.test's key in b.test's Web Key Directory, served by the b.test
 * gateway over HTTPS with a certificate from a test CA that a.test trusts by config, at the name a real DNS
 * server (Knot) gives. What a.test relays (captured by the recording next hop) is encrypted to bob's key,
 * and bob's GnuPG opens it. Downgrades: with b.test's directory down, the cached key still encrypts; a
 * recipient never looked up, under mandatory encryption, is deferred (4xx) and nothing is sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "openssl=openssl", "knotd=knot"})
class DiscoveryTest {

    Path dir;
    Gpg bob;
    Knot dns;
    CapturingSink sinkA;
    CapturingSink sinkB;
    Gateway a;
    Gateway b;
    int portA;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        Peers.require("openssl", "openssl");
        Peers.require("knotd", "knot");
        dir = Files.createTempDirectory("discovery");
        // A test CA and b.test's WKD certificate.
        org.mailseal.testkit.TestCa tls = org.mailseal.testkit.TestCa.make(dir.resolve("ca"), "openpgpkey.b.test", "b.test");
        Path ca = tls.caCertificate();
        Path crt = tls.certificate();

        dns = new Knot(dir.resolve("dns"));
        dns.zone("b.test", "openpgpkey A 127.0.0.1");
        dns.start();

        // Site b.test: bob's own key, published by b.test's directory.
        bob = new Gpg(dir.resolve("bob-gnupg"));
        bob.run("--passphrase", "", "--quick-gen-key", "<bob@b.test>", "future-default", "default", "never").ok("gpg key");
        Path bobKey = dir.resolve("bob.asc");
        Files.write(bobKey, bob.run("--armor", "--export", "bob@b.test").ok("export").out());
        sinkB = new CapturingSink();
        int wkdPort = TestGateway.freePort();
        Path cfgB = dir.resolve("b.yml");
        Files.writeString(cfgB, TestGateway.yaml(dir.resolve("b-data"), TestGateway.freePort(), 0, sinkB.port(), "domains: {local: [b.test]}",
                "wkd: {enabled: true, listen: \"127.0.0.1:" + wkdPort + "\", certificate: \"" + crt + "\", privateKey: \"" + tls.pkcs8Key() + "\"}"));
        assertThat(Cli.run("keys", "import", bobKey.toString(), "-c", cfgB.toString()).code()).isZero();
        b = TestGateway.start(Files.readString(cfgB));

        // Site a.test: finds keys by WKD, trusts the test CA, reaches b.test's directory at its test port.
        sinkA = new CapturingSink();
        portA = TestGateway.freePort();
        a = TestGateway.start(TestGateway.yaml(dir.resolve("a-data"), portA, 0, sinkA.port(), "domains: {local: [a.test]}",
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}", dns.dnsYaml(),
                "discovery: {trustAnchors: \"" + ca + "\", wkdPort: " + wkdPort + ", timeout: 2s, cacheFor: 1s}",
                "outbound: {encrypt: opportunistic, recipientDomains: {b.test: mandatory}}"));
    }

    @AfterAll
    void tearDown() throws Exception {
        Cleanup.all(dir, a, b, sinkA, sinkB, dns, bob);
    }

    String send(String to, String body) throws Exception {
        return SmtpClient.submit(portA, "client.a.test", "alice@a.test", to,
                "From: alice@a.test\r\nTo: " + to + "\r\nSubject: between sites\r\n\r\n" + body + "\r\n");
    }

    @Test
    void theKeyFoundByWkdEncryptsAndADirectoryDownNeverYieldsPlaintext() throws Exception {
        int before = sinkA.messages.size();
        assertThat(send("bob@b.test", "the first secret")).startsWith("250");
        String got = sinkA.messages.get(before).text();
        assertThat(got).contains("multipart/encrypted").doesNotContain("the first secret");
        Path enc = dir.resolve("to-bob.asc");
        Files.writeString(enc, got.substring(got.indexOf("-----BEGIN PGP MESSAGE-----"), got.indexOf("-----END PGP MESSAGE-----") + 25));
        assertThat(bob.run("--decrypt", enc.toString()).ok("gpg decrypt").outText()).contains("the first secret");

        // b.test's directory stops answering: its port accepts connections and never says a word (a timeout).
        int wkdPort = b.wkd().port();
        b.wkd().close();
        java.net.ServerSocket blackHole = new java.net.ServerSocket(wkdPort, 50, java.net.InetAddress.getLoopbackAddress());
        List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    held.add(blackHole.accept());
                }
            } catch (java.io.IOException closed) {
                // done
            }
        });
        acceptor.start();
        try {
            lookUpsAfterTheDirectoryStoppedAnswering(held);
        } finally {
            blackHole.close();
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    void lookUpsAfterTheDirectoryStoppedAnswering(List<java.net.Socket> held) throws Exception {
        int before;
        String got;
        Thread.sleep(1100); // past cacheFor: the lookup is tried again, times out, and the key found before is used
        before = sinkA.messages.size();
        assertThat(send("bob@b.test", "the second secret")).as("the cached key").startsWith("250");
        got = sinkA.messages.get(before).text();
        assertThat(got).contains("multipart/encrypted").doesNotContain("the second secret");
        // carol@b.test was never looked up: mandatory for b.test, so deferred, and nothing leaves.
        before = sinkA.messages.size();
        assertThat(send("carol@b.test", "the third secret")).startsWith("451 4.7.0");
        assertThat(sinkA.messages.size()).isEqualTo(before);
        assertThat(held).as("the lookups reached the silent directory").isNotEmpty();
    }
}
