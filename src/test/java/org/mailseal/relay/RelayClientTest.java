package org.mailseal.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestDns;
import org.mailseal.testkit.TestGateway;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;

class RelayClientTest {

    @TempDir
    Path dir;

    static final String MSG = "From: a@internet.test\r\nSubject: relay\r\n\r\nbody\r\n";

    static String send(int port, String rcpt) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.test");
            c.expect("250");
            return c.sendMail("a@internet.test", List.of(rcpt), MSG);
        }
    }

    @Test
    void dotStuffingAndFinalLineEnd() throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        RelayClient.writeDotStuffed(new ByteArrayInputStream(".a\r\nb\r\n..c\r\nno newline".getBytes()), o);
        assertThat(o.toString()).isEqualTo("..a\r\nb\r\n...c\r\nno newline\r\n");
    }

    /** A line break at the end of one 64 KiB read and the dot at the start of the next: still stuffed. */
    @Test
    void dotStuffingAcrossReads() throws Exception {
        for (int cut : new int[] {65534, 65535, 65536}) {
            String head = "x".repeat(cut - 2) + "\r\n";
            String msg = head + ".dot\r\n.\r\nend\r\n";
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            RelayClient.writeDotStuffed(new ByteArrayInputStream(msg.getBytes()), o);
            assertThat(o.toString()).as("cut %d", cut).isEqualTo(head + "..dot\r\n..\r\nend\r\n");
        }
    }

    @Test
    void connectionsAreReused() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port()))) {
            for (int i = 0; i < 5; i++) {
                assertThat(send(port, "u@example.com")).startsWith("250");
            }
            assertThat(sink.messages).hasSize(5);
            assertThat(sink.connections.get()).isEqualTo(1);
            assertThat(sink.messages.get(4).commands()).as("pipelined, RSET-checked reuse").anyMatch(c -> c.startsWith("MAIL FROM"));
        }
    }

    @Test
    void tlsPoliciesAgainstAStartTlsNextHop() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            // B: a mailseal with STARTTLS (self-signed, CN/SAN localhost) in front of the sink.
            int bPort = TestGateway.freePort();
            String bYaml = TestGateway.yaml(dir.resolve("b"), bPort, 0, sink.port()).replace("hostname: gw.test", "hostname: localhost")
                    .replace("networks: {trusted: [], xforward: [127.0.0.0/8]}", "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}");
            try (Gateway b = TestGateway.start(bYaml)) {
                int aPort = TestGateway.freePort();
                // encrypt: STARTTLS required, certificate not checked
                try (Gateway a = TestGateway.start(TestGateway.yaml(dir.resolve("a1"), aPort, 0, bPort).replace("tls: none", "tls: encrypt"))) {
                    assertThat(send(aPort, "u@example.com")).startsWith("250");
                }
                assertThat(sink.messages.get(0).text()).contains("by localhost (mailseal) with ESMTPS");
                // verify, without the self-signed cert among the anchors: refused, 4xx, nothing sent in clear
                try (Gateway a = TestGateway.start(TestGateway.yaml(dir.resolve("a2"), aPort, 0, bPort).replace("tls: none", "tls: verify")
                        .replace("[127.0.0.1]:" + bPort, "[localhost]:" + bPort))) {
                    assertThat(send(aPort, "u@example.com")).startsWith("451 4.7.5");
                }
                assertThat(sink.messages).hasSize(1);
                // verify, with B's certificate as trust anchor and the name matching: delivered
                Path anchor = exportCert(dir.resolve("b"), dir.resolve("anchor.pem"));
                try (Gateway a = TestGateway.start(TestGateway.yaml(dir.resolve("a3"), aPort, 0, bPort)
                        .replace("tls: none", "tls: verify, trustAnchors: " + anchor)
                        .replace("[127.0.0.1]:" + bPort, "[localhost]:" + bPort))) {
                    assertThat(send(aPort, "u@example.com")).startsWith("250");
                }
                assertThat(sink.messages).hasSize(2);
            }
            // encrypt towards a next hop without STARTTLS: 4xx, never plaintext
            int aPort = TestGateway.freePort();
            try (Gateway a = TestGateway.start(TestGateway.yaml(dir.resolve("a4"), aPort, 0, sink.port()).replace("tls: none", "tls: encrypt"))) {
                assertThat(send(aPort, "u@example.com")).startsWith("451 4.7.4").contains("TLS is required");
            }
            assertThat(sink.messages).hasSize(2);
        }
    }

    private static Path exportCert(Path dataDir, Path out) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] pass = Files.readString(dataDir.resolve("tls/server.pass")).strip().toCharArray();
        try (InputStream in = Files.newInputStream(dataDir.resolve("tls/server.p12"))) {
            ks.load(in, pass);
        }
        byte[] der = ks.getCertificate("server").getEncoded();
        try (Writer w = Files.newBufferedWriter(out)) {
            w.write("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END CERTIFICATE-----\n");
        }
        return out;
    }

    @Test
    void mxLookupFindsTheNextHopAndFailsSafely() throws Exception {
        try (CapturingSink sink = new CapturingSink();
             TestDns dns = new TestDns(List.of(
                     new MXRecord(Name.fromString("mx.test."), DClass.IN, 60, 10, Name.fromString("mail.mx.test.")),
                     new MXRecord(Name.fromString("mx.test."), DClass.IN, 60, 20, Name.fromString("down.mx.test.")),
                     new ARecord(Name.fromString("mail.mx.test."), DClass.IN, 60, InetAddress.getLoopbackAddress()),
                     new ARecord(Name.fromString("down.mx.test."), DClass.IN, 60, InetAddress.getByName("127.0.0.2")),
                     new ARecord(Name.fromString("nomx.test."), DClass.IN, 60, InetAddress.getLoopbackAddress()),
                     new MXRecord(Name.fromString("nullmx.test."), DClass.IN, 60, 0, Name.root)))) {
            dns.servfail.put("broken.test.", true);
            int port = TestGateway.freePort();
            // Default route "mx.test:PORT": MX lookup of mx.test; other domains get their own "name:PORT" route.
            String routes = java.util.stream.Stream.of("nomx.test", "nullmx.test", "missing.test", "broken.test")
                    .map(d -> d + ": {nexthop: \"" + d + ":" + sink.port() + "\"}").collect(java.util.stream.Collectors.joining(", "));
            String yaml = TestGateway.yaml(dir, port, 0, sink.port(), "domains: {local: [mx.test, nomx.test, nullmx.test, missing.test, broken.test]}",
                            "dns: {servers: [\"127.0.0.1:" + dns.port() + "\"], timeout: 2s}")
                    .replace("\"[127.0.0.1]:" + sink.port() + "\"", "\"mx.test:" + sink.port() + "\"")
                    .replace("tls: none,", "tls: none, routes: {" + routes + "},");
            try (Gateway gw = TestGateway.start(yaml)) {
                assertThat(send(port, "u@mx.test")).startsWith("250");
                assertThat(send(port, "u@nomx.test")).startsWith("250");      // RFC 5321 §5.1 implicit MX
                assertThat(send(port, "u@nullmx.test")).startsWith("556 5.1.10"); // RFC 7505
                assertThat(send(port, "u@missing.test")).startsWith("550 5.1.2");
                assertThat(send(port, "u@broken.test")).startsWith("451 4.4.3");   // DNS failure is never "no host"
            }
            assertThat(sink.messages).hasSize(2);
        }
    }

    @Test
    void nextHopParsing() {
        var h = org.mailseal.config.NextHop.parse("[10.0.0.1]:2525");
        assertThat(h.mxLookup()).isFalse();
        assertThat(h.port()).isEqualTo(2525);
        assertThat(org.mailseal.config.NextHop.parse("relay.test").mxLookup()).isTrue();
        assertThat(org.mailseal.config.NextHop.parse("mx").recipientDomain()).isTrue();
        assertThat(org.mailseal.config.NextHop.parse("[::1]:25").host()).isEqualTo("::1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> org.mailseal.config.NextHop.parse("[x:25")).isInstanceOf(IllegalArgumentException.class);
        assertThat(StandardCharsets.UTF_8).isNotNull();
    }
}
