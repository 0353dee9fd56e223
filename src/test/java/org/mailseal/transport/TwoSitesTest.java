package org.mailseal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.Knot;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.RecordingProxy;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestCa;
import org.mailseal.testkit.TestGateway;
import org.slf4j.LoggerFactory;

/**
 * Two mailseal sites over real DNS with DNSSEC: Knot serves zones signed by ldns-signzone, and a.test's
 * resolver validates them from their DS records (config {@code dns.trustAnchors}). b.test's zone is what
 * {@code mailseal dns-records} printed for it, loaded as is (TLSA for b.test's SMTP certificate, OPENPGPKEY
 * for bob, MTA-STS and TLS-RPT records), plus its MX. alice@a.test writes to bob@b.test: a.test finds bob's
 * key in the OPENPGPKEY record (DNSSEC-secure), encrypts to it, and relays to b.test's MX over TLS that the
 * TLSA record authenticates (DANE-EE); b.test passes the message on without decrypting, and bob's GnuPG
 * opens it. The downgrades: a TLSA record that does not match, a TLSA record whose signature is bogus, an
 * MTA-STS policy in enforce mode with a certificate that does not name the MX, and a pinned key replaced
 * at the peer: each is deferred (4xx), and nothing reaches the next hop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"gpg=gnupg", "openssl=openssl", "knotd=knot", "ldns-signzone=ldnsutils"})
class TwoSitesTest {

    Path dir;
    Gpg bob;
    Knot dns;
    CapturingSink sinkA;
    CapturingSink sinkB;
    Gateway a;
    Gateway b;
    int portA;
    int portB;
    String yamlA;
    com.sun.net.httpserver.HttpsServer reports;
    final List<String[]> posted = new java.util.concurrent.CopyOnWriteArrayList<>();
    RecordingProxy wire;
    Path caPem;
    int httpsPort;
    String bZone;
    ListAppender<ILoggingEvent> relayLog = new ListAppender<>();
    ListAppender<ILoggingEvent> policyLog = new ListAppender<>();

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        Peers.require("openssl", "openssl");
        Peers.require("knotd", "knot");
        Peers.require("ldns-signzone", "ldnsutils");
        dir = Files.createTempDirectory("twosites");
        // One certificate for b.test's SMTP listener (mx.b.test) and its HTTPS listener (WKD, MTA-STS).
        TestCa tls = TestCa.make(dir.resolve("ca"), "mx.b.test", "openpgpkey.b.test", "mta-sts.b.test", "mta-sts.e.test", "mta-sts.f.test",
                "reports.f.test");
        // f.test's TLS-RPT address is an https: one (RFC 8460 §5.3.1): a collector that keeps what is POSTed to it
        reports = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        reports.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(
                org.mailseal.smtp.ServerTls.context(tls.certificate(), tls.pkcs8Key(), dir, "reports.f.test")));
        reports.createContext("/tlsrpt", x -> {
            posted.add(new String[] {x.getRequestMethod(), x.getRequestHeaders().getFirst("Content-Type"),
                    java.util.Base64.getEncoder().encodeToString(x.getRequestBody().readAllBytes())});
            x.sendResponseHeaders(201, -1);
            x.close();
        });
        reports.start();

        bob = new Gpg(dir.resolve("bob-gnupg"));
        bob.run("--passphrase", "", "--quick-gen-key", "<bob@b.test>", "future-default", "default", "never").ok("gpg key");
        Path bobKey = dir.resolve("bob.asc");
        Files.write(bobKey, bob.run("--armor", "--export", "bob@b.test").ok("export").out());

        // Site b.test (also serving e.test and f.test): MX host mx.b.test, its own TLS certificate, an MTA-STS policy.
        sinkB = new CapturingSink();
        portB = TestGateway.freePort();
        httpsPort = TestGateway.freePort();
        caPem = tls.caCertificate();
        Path cfgB = dir.resolve("b.yml");
        Files.writeString(cfgB, TestGateway.yaml(dir.resolve("b-data"), portB, 0, sinkB.port(), "domains: {local: [b.test, e.test, f.test]}",
                "tls: {certificate: \"" + tls.certificate() + "\", privateKey: \"" + tls.pkcs8Key() + "\"}",
                "wkd: {enabled: true, listen: \"127.0.0.1:" + httpsPort + "\"}",
                "mtaSts: {mode: enforce, mx: [mx.b.test, mx.e.test], maxAge: 1d}").replace("hostname: gw.test", "hostname: mx.b.test"));
        assertThat(Cli.run("keys", "import", bobKey.toString(), "-c", cfgB.toString()).code()).isZero();
        // Between a.test and b.test's MX: a relay that records what crosses (b.test's MX port, as a.test sees it).
        wire = new RecordingProxy(portB);
        Cli.Run records = Cli.run("dns-records", "--domain", "b.test", "--smtp-port", String.valueOf(wire.port()), "-c", cfgB.toString());
        assertThat(records.code()).as(records.err()).isZero();
        assertThat(records.out()).contains("IN OPENPGPKEY", "IN TLSA 3 1 1", "_mta-sts.b.test.", "_smtp._tls.b.test.");
        bZone = records.out() + "\n@ MX 10 mx.b.test.\nmx A 127.0.0.1\n";
        String tlsa = records.out().lines().filter(l -> l.contains("IN TLSA")).findFirst().orElseThrow();
        String goodHash = tlsa.substring(tlsa.lastIndexOf(' ') + 1);
        b = TestGateway.start(Files.readString(cfgB));

        dns = new Knot(dir.resolve("dns"));
        String anchors = "$TTL 3600\n" + dns.signedZone("b.test", bZone, z -> z) + "\n";
        // c.test: a TLSA record that names another key.
        anchors += dns.signedZone("c.test", "@ MX 10 mx.c.test.\nmx A 127.0.0.1\n_" + portB + "._tcp.mx 3600 IN TLSA 3 1 1 " + "00".repeat(32), z -> z) + "\n";
        // d.test: the right TLSA record, but changed after signing: its signature is bogus.
        String right = "_" + portB + "._tcp.mx 3600 IN TLSA 3 1 1 " + goodHash;
        anchors += dns.signedZone("d.test", "@ MX 10 mx.d.test.\nmx A 127.0.0.1\n" + right,
                z -> z.replace(goodHash, goodHash.substring(0, 63) + (goodHash.endsWith("0") ? "1" : "0"))) + "\n";
        // e.test (unsigned): MTA-STS enforce, MX mx.e.test, whose certificate (mx.b.test's) does not name it.
        dns.zone("e.test", "@ MX 10 mx.e.test.\nmx A 127.0.0.1\nmta-sts A 127.0.0.1\n_mta-sts TXT \"v=STSv1; id=e1\"");
        // f.test (unsigned, so no DANE): MTA-STS enforce, MX mx.b.test, whose certificate the test CA vouches for. And an
        // OPENPGPKEY record for frank that anyone on the path could have forged (no DNSSEC): a key that must not be used.
        Gpg forger = new Gpg(dir.resolve("forger-gnupg"));
        forger.run("--passphrase", "", "--quick-gen-key", "<frank@f.test>", "future-default", "default", "never").ok("gpg key");
        String forged = java.util.Base64.getEncoder().encodeToString(forger.run("--export", "frank@f.test").ok("export").out());
        forger.stop();
        dns.zone("f.test", "@ MX 10 mx.b.test.\nmta-sts A 127.0.0.1\n_mta-sts TXT \"v=STSv1; id=f1\"\nreports A 127.0.0.1\n"
                + "_smtp._tls TXT \"v=TLSRPTv1; rua=https://reports.f.test:" + reports.getAddress().getPort() + "/tlsrpt\"\n"
                + org.mailseal.publish.DnsRecords.hashLabel("frank") + "._openpgpkey 3600 IN OPENPGPKEY " + forged);
        dns.start();
        Path anchorFile = dir.resolve("anchors.ds");
        Files.writeString(anchorFile, anchors);

        // Site a.test: validates DNSSEC from those anchors; DANE (then MTA-STS) towards MX hosts by default.
        sinkA = new CapturingSink();
        portA = TestGateway.freePort();
        String routes = "{b.test: {nexthop: \"b.test:" + wire.port() + "\"}, c.test: {nexthop: \"c.test:" + portB + "\"}, d.test: {nexthop: \"d.test:"
                + portB + "\"}, e.test: {nexthop: \"e.test:" + portB + "\"}, f.test: {nexthop: \"f.test:" + portB + "\"}}";
        yamlA = TestGateway.yaml(dir.resolve("a-data"), portA, 0, sinkA.port(), "domains: {local: [a.test]}",
                        "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                        "dns: {servers: [\"127.0.0.1:" + dns.port() + "\"], timeout: 2s, dnssec: true, trustAnchors: \"" + anchorFile + "\"}",
                        "discovery: {order: [openpgpkey], cacheFor: 1s}",
                        "outbound: {encrypt: opportunistic, recipientDomains: {b.test: pinned}}")
                .replace("tls: none, ", "trustAnchors: \"" + tls.caCertificate() + "\", mtaStsPort: " + httpsPort + ", routes: " + routes + ", ");
        for (String name : List.of("relay", "policy")) {
            Logger l = (Logger) LoggerFactory.getLogger(name);
            ListAppender<ILoggingEvent> app = name.equals("relay") ? relayLog : policyLog;
            app.start();
            l.addAppender(app);
        }
        a = TestGateway.start(yamlA);
    }

    @AfterAll
    void tearDown() throws Exception {
        for (String name : List.of("relay", "policy")) {
            ((Logger) LoggerFactory.getLogger(name)).detachAppender(name.equals("relay") ? relayLog : policyLog);
        }
        if (reports != null) {
            reports.stop(0);
        }
        Cleanup.all(dir, a, b, sinkA, sinkB, dns, wire, bob);
    }

    String send(String to, String body) throws Exception {
        return send(portA, to, body);
    }

    static String message(String to, String body) {
        return "From: alice@a.test\r\nTo: " + to + "\r\nSubject: between sites\r\nDate: Thu, 03 Dec 2026 08:00:00 +0000\r\n"
                + "Message-ID: <" + Math.abs(body.hashCode()) + "@a.test>\r\n\r\n" + body + "\r\n";
    }

    static String send(int port, String to, String body) throws Exception {
        return SmtpClient.submit(port, "client.a.test", "alice@a.test", to, message(to, body));
    }

    boolean logged(ListAppender<ILoggingEvent> log, String... parts) {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).anyMatch(m -> java.util.Arrays.stream(parts).allMatch(m::contains));
    }

    @Test
    @Order(1)
    void encryptedToTheKeyFromOpenpgpkeyOverDaneVerifiedTls() throws Exception {
        int before = sinkB.messages.size();
        assertThat(send("bob@b.test", "the first secret")).startsWith("250");
        assertThat(sinkB.messages).hasSize(before + 1);
        String got = sinkB.messages.get(before).text();
        // What crossed from a.test to b.test, as b.test passed it on: encrypted, received over TLS.
        assertThat(got).contains("multipart/encrypted").doesNotContain("the first secret");
        assertThat(got).containsPattern("by mx\\.b\\.test[^;]*with ESMTPS");
        assertThat(logged(relayLog, "Verified (DANE-EE) TLS connection established to mx.b.test[127.0.0.1]:" + wire.port())).isTrue();
        // On the wire between the two: STARTTLS, then nothing readable, not even the header.
        String onTheWire = new String(wire.captured(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(onTheWire).contains("STARTTLS").doesNotContain("the first secret", "Subject: between sites", "MAIL FROM", "bob@b.test");
        assertThat(logged(policyLog, "bob@b.test", "OPENPGPKEY", "(DNSSEC)", "pin set")).isTrue();
        Path enc = dir.resolve("to-bob.asc");
        Files.write(enc, org.mailseal.testkit.ByteExact.armoredPart(got));
        byte[] plain = bob.run("--decrypt", enc.toString()).ok("gpg decrypt").out();
        // bob's key opens what alice sent, byte-exact but for the header-protection markers and the trace
        org.mailseal.testkit.ByteExact.check("alice to bob", message("bob@b.test", "the first secret").getBytes(java.nio.charset.StandardCharsets.UTF_8), plain);
        // the trace inside names the key and where it came from
        assertThat(new String(plain, java.nio.charset.StandardCharsets.UTF_8))
                .containsPattern("X-Mailseal-Info: <bob@b.test> encrypted to OpenPGP key [0-9A-F]{40} \\([^)]*from OPENPGPKEY");
    }

    @Test
    @Order(2)
    void theSameKeyFoundByWkdInstead() throws Exception {
        // A second sending gateway for a.test that asks b.test's Web Key Directory (served by b.test, test CA).
        int port = TestGateway.freePort();
        String yaml = yamlA.replace(dir.resolve("a-data").toString(), dir.resolve("a2-data").toString())
                .replace("127.0.0.1:" + portA, "127.0.0.1:" + port)
                .replace("discovery: {order: [openpgpkey], cacheFor: 1s}", "discovery: {order: [wkd], trustAnchors: \"" + caPem + "\", wkdPort: " + httpsPort + "}")
                .replace("recipientDomains: {b.test: pinned}", "recipientDomains: {b.test: mandatory}");
        try (Gateway a2 = TestGateway.start(yaml)) {
            int before = sinkB.messages.size();
            int logged = relayLog.list.size();
            assertThat(send(port, "bob@b.test", "found by wkd")).startsWith("250");
            String got = sinkB.messages.get(before).text();
            assertThat(got).contains("multipart/encrypted").doesNotContain("found by wkd");
            assertThat(relayLog.list.subList(logged, relayLog.list.size()).stream().map(ILoggingEvent::getFormattedMessage))
                    .anyMatch(m -> m.contains("Verified (DANE-EE) TLS connection established to mx.b.test"));
            Path enc = dir.resolve("to-bob-wkd.asc");
            Files.write(enc, org.mailseal.testkit.ByteExact.armoredPart(got));
            byte[] plain = bob.run("--decrypt", enc.toString()).ok("gpg decrypt").out();
            org.mailseal.testkit.ByteExact.check("alice to bob by WKD", message("bob@b.test", "found by wkd").getBytes(java.nio.charset.StandardCharsets.UTF_8), plain);
            assertThat(new String(plain, java.nio.charset.StandardCharsets.UTF_8)).contains("from WKD https://openpgpkey.b.test/");
        }
    }

    @Test
    @Order(3)
    void aTlsaRecordThatDoesNotMatchDefers() throws Exception {
        int before = sinkB.messages.size();
        assertThat(send("carol@c.test", "not for an impostor")).startsWith("451 4.7.5").contains("TLS handshake");
        assertThat(sinkB.messages).hasSize(before);
    }

    @Test
    @Order(4)
    void aBogusTlsaSignatureDefers() throws Exception {
        int before = sinkB.messages.size();
        assertThat(send("dave@d.test", "not over a forged record")).startsWith("451 4.7.5").contains("TLSA lookup", "failed");
        assertThat(sinkB.messages).hasSize(before);
    }

    @Test
    @Order(5)
    void mtaStsEnforceNeedsACertificateForTheMx() throws Exception {
        int before = sinkB.messages.size();
        assertThat(send("erin@e.test", "not to an unverified host")).startsWith("451 4.7.5").contains("MTA-STS enforce");
        assertThat(sinkB.messages).hasSize(before);
        // f.test's MX (mx.b.test) has a certificate the policy accepts: delivered over verified TLS.
        assertThat(send("frank@f.test", "to a verified host")).startsWith("250");
        // the OPENPGPKEY record in the unsigned zone was not taken for frank's key: opportunistic, no key, sent as is
        assertThat(sinkB.messages.get(sinkB.messages.size() - 1).text()).contains("to a verified host").doesNotContain("BEGIN PGP MESSAGE");
        assertThat(logged(policyLog, "frank@f.test", "not encrypted: no known key", "not DNSSEC-secure")).isTrue();
        assertThat(sinkB.messages).hasSize(before + 1);
        assertThat(logged(relayLog, "Verified TLS connection established to mx.b.test", "MTA-STS enforce")).isTrue();
    }

    @Test
    @Order(6)
    void tlsReportsCountEachPolicyAndGoToTheRua() throws Exception {
        a.tlsReports().flush();
        Path day = dir.resolve("a-data").resolve("tls-rpt").resolve(java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode b = json.readTree(day.resolve("b.test.json").toFile()).get("policies").get(0);
        assertThat(b.at("/policy/policy-type").asText()).isEqualTo("tlsa");
        assertThat(b.at("/policy/policy-string/0").asText()).startsWith("3 1 1 ");
        assertThat(b.at("/summary/total-successful-session-count").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(b.at("/summary/total-failure-session-count").asLong()).isZero();
        com.fasterxml.jackson.databind.JsonNode c = json.readTree(day.resolve("c.test.json").toFile()).get("policies").get(0);
        assertThat(c.at("/failure-details/0/result-type").asText()).isEqualTo("validation-failure");
        assertThat(c.at("/failure-details/0/receiving-mx-hostname").asText()).isEqualTo("mx.c.test");
        com.fasterxml.jackson.databind.JsonNode d = json.readTree(day.resolve("d.test.json").toFile()).get("policies").get(0);
        assertThat(d.at("/failure-details/0/result-type").asText()).isEqualTo("dnssec-invalid");
        com.fasterxml.jackson.databind.JsonNode e = json.readTree(day.resolve("e.test.json").toFile()).get("policies").get(0);
        assertThat(e.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(e.at("/failure-details/0/result-type").asText()).isEqualTo("certificate-host-mismatch");
        com.fasterxml.jackson.databind.JsonNode f = json.readTree(day.resolve("f.test.json").toFile()).get("policies").get(0);
        assertThat(f.at("/policy/policy-string").toString()).contains("mode: enforce", "mx: mx.b.test");
        assertThat(f.at("/summary/total-successful-session-count").asLong()).isEqualTo(1);

        // b.test asks for reports at postmaster@b.test (its dns-records output): today's goes there now.
        int before = sinkB.messages.size();
        assertThat(a.tlsReportSender().sendDay(java.time.LocalDate.now(java.time.ZoneOffset.UTC))).isGreaterThanOrEqualTo(1);
        CapturingSink.Received report = sinkB.messages.stream().skip(before).filter(m -> m.rcptTo().stream().anyMatch(r -> r.contains("postmaster@b.test")))
                .findFirst().orElseThrow();
        String text = report.text();
        assertThat(text).contains("TLS-Report-Domain: b.test", "report-type=\"tlsrpt\"", "application/tlsrpt+gzip");
        String b64 = text.substring(text.indexOf("application/tlsrpt+gzip"));
        b64 = b64.substring(b64.indexOf("\r\n\r\n") + 4, b64.indexOf("\r\n\r\n--"));
        byte[] gz = java.util.Base64.getMimeDecoder().decode(b64);
        String sent = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json.readTree(sent).at("/policies/0/policy/policy-domain").asText()).isEqualTo("b.test");
        assertThat(day.resolve("b.test.json.sent")).exists();
        // f.test asks for its reports at an https: address: POSTed there, gzipped
        assertThat(posted).hasSize(1);
        assertThat(posted.get(0)[0]).isEqualTo("POST");
        assertThat(posted.get(0)[1]).isEqualTo("application/tlsrpt+gzip");
        String fReport = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(posted.get(0)[2])))
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json.readTree(fReport).at("/policies/0/policy/policy-domain").asText()).isEqualTo("f.test");
        assertThat(Files.readString(day.resolve("f.test.json.sent"))).contains("https://reports.f.test:", " 201");
    }

    @Test
    @Order(7)
    void aPinnedKeyReplacedAtThePeerDefersUntilTheAdminAcceptsIt() throws Exception {
        // bob gets a new key, and b.test publishes it in place of the old one.
        Gpg newBob = new Gpg(dir.resolve("bob2-gnupg"));
        try {
            newBob.run("--passphrase", "", "--quick-gen-key", "<bob@b.test>", "future-default", "default", "never").ok("gpg key");
            Path newKey = dir.resolve("bob2.asc");
            Files.write(newKey, newBob.run("--armor", "--export", "bob@b.test").ok("export").out());
            String oldRecord = bZone.substring(bZone.indexOf("._openpgpkey.b.test."));
            oldRecord = oldRecord.substring(0, oldRecord.indexOf(')') + 1);
            Path keyDir = Files.createDirectories(dir.resolve("bob2-store"));
            Path cfg = dir.resolve("bob2.yml");
            Files.writeString(cfg, TestGateway.yaml(keyDir, TestGateway.freePort(), 0, 1, "domains: {local: [b.test]}"));
            assertThat(Cli.run("keys", "import", newKey.toString(), "-c", cfg.toString()).code()).isZero();
            String fresh = Cli.run("dns-records", "--domain", "b.test", "-c", cfg.toString()).out();
            String newRecord = fresh.substring(fresh.indexOf("._openpgpkey.b.test."));
            newRecord = newRecord.substring(0, newRecord.indexOf(')') + 1);
            dns.signedZone("b.test", bZone.replace(oldRecord, newRecord), z -> z);
            Thread.sleep(1100); // a.test's discovery cache (cacheFor: 1s)

            int before = sinkB.messages.size();
            assertThat(send("bob@b.test", "to the new key?")).startsWith("451 4.7.0").contains("key changed");
            assertThat(sinkB.messages).hasSize(before);
            assertThat(logged(policyLog, "bob@b.test", "differs from the pinned key", "keys pin-accept")).isTrue();
        } finally {
            newBob.stop();
        }
        // The admin sees why, and accepts the new key.
        a.close();
        a = null;
        Path cfgA = dir.resolve("a.yml");
        Files.writeString(cfgA, yamlA);
        Cli.Run listed = Cli.run("keys", "discovered", "-c", cfgA.toString());
        assertThat(listed.out()).contains("pin bob@b.test", "CHANGED", "OPENPGPKEY");
        // keys list shows where each key came from
        assertThat(Cli.run("keys", "list", "-c", cfgA.toString()).out()).containsPattern("[0-9A-F]{40}  discovered  seen \\S+  bob@b.test  source: OPENPGPKEY ");
        assertThat(Cli.run("keys", "pin-accept", "bob@b.test", "-c", cfgA.toString()).code()).isZero();
        a = TestGateway.start(yamlA);
        int before = sinkB.messages.size();
        assertThat(send("bob@b.test", "to the accepted key")).startsWith("250");
        assertThat(sinkB.messages).hasSize(before + 1);
    }

    /**
     * RFC 8461 §5.1: a policy once seen stays in force until its max_age runs out, across a restart too. a.test
     * restarts unable to fetch any policy (its HTTPS port for MTA-STS now leads nowhere, as if an attacker
     * blocked it): e.test's enforce policy, stored when it was first fetched, still keeps mail off the host
     * its certificate does not name. Kept in memory only, the restart would have been a downgrade.
     */
    @Test
    @Order(8)
    void anMtaStsPolicyStaysInForceAcrossARestartWhenItCannotBeFetched() throws Exception {
        a.close();
        a = null;
        String blocked = yamlA.replace("mtaStsPort: " + httpsPort, "mtaStsPort: " + TestGateway.freePort());
        assertThat(blocked).isNotEqualTo(yamlA);
        a = TestGateway.start(blocked);
        int before = sinkB.messages.size();
        assertThat(send("erin@e.test", "after a restart, the policy unreachable")).startsWith("451 4.7.5").contains("MTA-STS enforce");
        assertThat(sinkB.messages).hasSize(before);
    }
}
