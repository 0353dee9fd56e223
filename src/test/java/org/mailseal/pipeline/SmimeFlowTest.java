package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.cli.Main;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.SmimeDecryptor;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
import org.mailseal.policy.PolicyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.TestGateway;

/** S/MIME in the flow: method choice, certificates issued on demand, PKCS#12 import, fail closed. */
class SmimeFlowTest {

    @TempDir
    Path dir;

    static final String MSG = "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: s/mime flow\r\n\r\nconfidential\r\n";

    String yaml(int port, int sink, String... extra) throws Exception {
        String[] all = java.util.stream.Stream.concat(java.util.stream.Stream.of(extra),
                java.util.stream.Stream.of(TestGateway.masterKeys(dir, "smime flow master"))).toArray(String[]::new);
        return TestGateway.yaml(dir.resolve("data"), port, 0, sink, all);
    }

    static boolean isSmime(CapturingSink.Received r) {
        return r.text().contains("application/pkcs7-mime; smime-type=enveloped-data");
    }

    static boolean isPgp(CapturingSink.Received r) {
        return r.text().contains("multipart/encrypted; protocol=\"application/pgp-encrypted\"");
    }

    @Test
    void methodChoicePreferenceAndGeneration() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                    "domains: {local: [example.com, smime.example, only.example], policies: {smime.example: {preferredMethod: smime, generateMethod: smime},"
                            + " only.example: {method: openpgp, onMissingKey: tempfail}}}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
                SmimeStore ss = new SmimeStore(db.dataSource());
                KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
                ss.initCa(CertificateAuthority.createCa(kp, "flow CA", Duration.ofDays(30)), kp.getPrivate(), mk);
                var certs = new org.mailseal.keys.CertDirectory(ss, mk, cfg);
                var pgp = new PgpKeyStore(db.dataSource());
                for (String who : List.of("both@example.com", "both@smime.example")) {
                    pgp.putCert(PgpKeys.publicRing(PgpKeys.generate(who, null, PgpKeys.Algo.CV25519)), false);
                    certs.issue(who, 30, "rsa3072");
                }
                certs.issue("certonly@only.example", 30, "rsa3072");
                new PolicyStore(db.dataSource()).set("smimeuser@example.com", "method", "smime");
            }
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(EncryptionFlowTest.send(port, List.of("both@example.com"), MSG)).startsWith("250");
                assertThat(isPgp(sink.messages.get(0))).as("both available, global preference openpgp").isTrue();
                assertThat(EncryptionFlowTest.send(port, List.of("both@smime.example"), MSG)).startsWith("250");
                assertThat(isSmime(sink.messages.get(1))).as("both available, domain prefers smime").isTrue();
                assertThat(EncryptionFlowTest.send(port, List.of("new@smime.example"), MSG)).startsWith("250");
                assertThat(isSmime(sink.messages.get(2))).as("generateMethod smime issues a certificate").isTrue();
                assertThat(EncryptionFlowTest.send(port, List.of("smimeuser@example.com"), MSG)).startsWith("250");
                assertThat(isSmime(sink.messages.get(3))).as("user method=smime, certificate issued").isTrue();
                assertThat(EncryptionFlowTest.send(port, List.of("certonly@only.example"), MSG)).as("openpgp only, and no OpenPGP key").startsWith("450 4.7.1");
                assertThat(sink.messages).hasSize(4).noneMatch(m -> m.text().contains("confidential"));
                // Outer header: hcp_baseline for S/MIME too.
                assertThat(sink.messages.get(1).text()).contains("Subject: [...]").doesNotContain("s/mime flow");
            }
            try (Database db = Database.open(cfg)) {
                assertThat(new SmimeStore(db.dataSource()).list("new@smime.example")).hasSize(1);
            }
        }
    }

    @Test
    void authEnvelopedDataWhenThePolicySaysTheRecipientSupportsGcm() throws Exception {
        String openssl = org.mailseal.testkit.Peers.require("openssl", "openssl");
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any, method: smime, generateMethod: smime}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
                KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
                new SmimeStore(db.dataSource()).initCa(CertificateAuthority.createCa(kp, "CA", Duration.ofDays(30)), kp.getPrivate(), mk);
                new PolicyStore(db.dataSource()).set("gcm@example.com", "smimeCipher", "aes256-gcm");
            }
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(EncryptionFlowTest.send(port, List.of("gcm@example.com"), MSG)).startsWith("250");
                assertThat(EncryptionFlowTest.send(port, List.of("cbc@example.com"), MSG)).startsWith("250");
            }
            assertThat(sink.messages.get(0).text()).contains("smime-type=authEnveloped-data");
            assertThat(isSmime(sink.messages.get(1))).isTrue();
            try (Database db = Database.open(cfg)) {
                SmimeStore ss = new SmimeStore(db.dataSource());
                var entry = ss.list("gcm@example.com").get(0);
                var key = ss.privateKey(entry.fingerprint(), MasterPassphrase.unlock(cfg, db.dataSource())).orElseThrow();
                Path keyPem = dir.resolve("k.pem");
                Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
                Path certPem = dir.resolve("c.pem");
                Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(ss.cert(entry.fingerprint()).orElseThrow().getEncoded())
                        + "\n-----END CERTIFICATE-----\n");
                Path in = dir.resolve("gcm.eml");
                Files.write(in, sink.messages.get(0).data());
                var r = org.mailseal.testkit.Cmd.run(openssl, "cms", "-decrypt", "-binary", "-in", in.toString(), "-inkey", keyPem.toString(), "-recip", certPem.toString());
                assertThat(r.code()).as(r.err()).isZero();
                assertThat(r.outText()).contains("Subject: s/mime flow", "\r\n\r\nconfidential\r\n");
            }
        }
    }

    @Test
    void noCaMeansNoIssuedCertificateAndNoPlaintext() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any, method: smime}"))) {
            assertThat(EncryptionFlowTest.send(port, List.of("alice@example.com"), MSG)).startsWith("451 4.7.5");
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void damagedCertificateFailsClosed() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: deliver, method: smime}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
                SmimeStore ss = new SmimeStore(db.dataSource());
                KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
                ss.initCa(CertificateAuthority.createCa(kp, "CA", Duration.ofDays(30)), kp.getPrivate(), mk);
                new org.mailseal.keys.CertDirectory(ss, mk, cfg).issue("alice@example.com", 30, "p256");
                try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE smime_certs SET cert = ?")) {
                    ps.setBytes(1, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
                    ps.executeUpdate();
                }
            }
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(EncryptionFlowTest.send(port, List.of("alice@example.com"), MSG)).startsWith("451");
            }
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void pkcs12ImportSealsThePrivateKeyWhichThenDecrypts() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            // An external CA and a PKCS#12 as a user would bring them (made here with the JDK).
            KeyPair caKp = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
            X509Certificate ca = CertificateAuthority.createCa(caKp, "Customer CA", Duration.ofDays(30));
            Path caPem = dir.resolve("ca.pem");
            Files.writeString(caPem, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(ca.getEncoded()) + "\n-----END CERTIFICATE-----\n");
            KeyPair u = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
            X509Certificate cert = CertificateAuthority.issue(ca, caKp.getPrivate(), u.getPublic(), "alice@example.com", Duration.ofDays(10), null,
                    CertificateAuthority.serial());
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("alice", u.getPrivate(), "pkcs12-pass".toCharArray(), new java.security.cert.Certificate[] {cert, ca});
            Path p12 = dir.resolve("alice.p12");
            try (var o = Files.newOutputStream(p12)) {
                ks.store(o, "pkcs12-pass".toCharArray());
            }
            Path pw = dir.resolve("p12.pass");
            Files.writeString(pw, "pkcs12-pass\n");
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: tempfail}", "smime: {trustAnchors: [\"" + caPem + "\"]}");
            Path cfgFile = dir.resolve("m.yml");
            Files.writeString(cfgFile, y);
            assertThat(Main.run("certs", "import", p12.toString(), "--p12-password-file", pw.toString(), "-c", cfgFile.toString())).isZero();
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(EncryptionFlowTest.send(port, List.of("alice@example.com"), MSG)).startsWith("250");
            }
            String text = sink.messages.get(0).text();
            assertThat(isSmime(sink.messages.get(0))).isTrue();
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                SmimeStore ss = new SmimeStore(db.dataSource());
                var entry = ss.list("alice@example.com").get(0);
                assertThat(entry.hasKey()).isTrue();
                var key = ss.privateKey(entry.fingerprint(), MasterPassphrase.unlock(cfg, db.dataSource())).orElseThrow();
                byte[] der = Base64.getMimeDecoder().decode(text.substring(text.indexOf("\r\n\r\n") + 4));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                SmimeDecryptor.decrypt(new ByteArrayInputStream(der), false, cert, key, out);
                assertThat(out.toString(StandardCharsets.UTF_8)).contains("Subject: s/mime flow", "\r\n\r\nconfidential\r\n");
            }
        }
    }
}
