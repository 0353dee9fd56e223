package org.mailseal.crypto.smime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.CertDirectory;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.SmimeStore;
import org.mailseal.store.Database;

/** Certificates that must be refused, each with a reason naming the certificate (RFC 8550, RFC 5280). */
class CertRefusalTest {

    @TempDir
    Path dir;
    KeyPair caKeys;
    X509Certificate ca;

    @BeforeEach
    void externalCa() throws Exception {
        caKeys = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
        ca = CertificateAuthority.createCa(caKeys, "Test External CA", Duration.ofDays(365));
        Files.writeString(dir.resolve("ca.pem"), pem(ca));
    }

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    /** A user certificate from the external CA; each parameter can be made wrong. */
    X509Certificate user(String email, Instant from, Instant to, int keyUsage, KeyPurposeId eku, String crlUrl) throws Exception {
        KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, CertificateAuthority.serial(), Date.from(from), Date.from(to),
                new X500Name("CN=" + email), kp.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, email)));
        if (crlUrl != null) {
            b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {new DistributionPoint(
                    new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl))), null, null)}));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    }

    X509Certificate good(String email) throws Exception {
        return user(email, Instant.now().minusSeconds(3600), Instant.now().plus(Duration.ofDays(30)),
                KeyUsage.digitalSignature | KeyUsage.keyEncipherment, KeyPurposeId.id_kp_emailProtection, null);
    }

    CertDirectory directory(String extra) throws Exception {
        MailsealConfig cfg = ConfigLoader.parse("t", "dataDir: " + dir.resolve("data") + "\nsmime: {trustAnchors: [\"" + dir.resolve("ca.pem") + "\"]" + extra + "}\n");
        Database db = Database.open(cfg);
        return new CertDirectory(new SmimeStore(db.dataSource()), MasterKey.unlock(db.dataSource(), "m".toCharArray(), 1024, 1), cfg);
    }

    void refused(CertDirectory d, X509Certificate c, String email, String reason) {
        assertThatThrownBy(() -> d.validate(c, email, List.of()))
                .isInstanceOf(KeyStoreException.class)
                .hasMessageContaining(SmimeCerts.fingerprint(c))
                .hasMessageContaining(reason);
    }

    @Test
    void eachBadCertificateIsRefusedWithItsReason() throws Exception {
        CertDirectory d = directory("");
        Instant now = Instant.now();
        assertThatCode(() -> d.validate(good("alice@example.com"), "alice@example.com", List.of())).doesNotThrowAnyException();
        refused(d, user("a@example.com", now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1)),
                KeyUsage.keyEncipherment, KeyPurposeId.id_kp_emailProtection, null), "a@example.com", "expired");
        refused(d, user("a@example.com", now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(60)),
                KeyUsage.keyEncipherment, KeyPurposeId.id_kp_emailProtection, null), "a@example.com", "not valid before");
        refused(d, user("a@example.com", now.minusSeconds(60), now.plus(Duration.ofDays(1)),
                KeyUsage.digitalSignature, KeyPurposeId.id_kp_emailProtection, null), "a@example.com", "keyEncipherment");
        refused(d, user("a@example.com", now.minusSeconds(60), now.plus(Duration.ofDays(1)),
                KeyUsage.keyEncipherment, KeyPurposeId.id_kp_serverAuth, null), "a@example.com", "emailProtection");
        refused(d, good("mallory@example.com"), "alice@example.com", "does not match alice@example.com");
        // A certificate from a CA nobody configured.
        KeyPair other = CertificateAuthority.keyPair(CertificateAuthority.Algo.P256);
        X509Certificate otherCa = CertificateAuthority.createCa(other, "Unknown CA", Duration.ofDays(30));
        X509Certificate stranger = CertificateAuthority.issue(otherCa, other.getPrivate(), CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072).getPublic(),
                "a@example.com", Duration.ofDays(10), null, BigInteger.TEN);
        refused(d, stranger, "a@example.com", "no valid chain");
        // EC certificate without keyAgreement
        X509Certificate ecSignOnly = CertificateAuthority.issue(ca, caKeys.getPrivate(), CertificateAuthority.keyPair(CertificateAuthority.Algo.P256).getPublic(),
                "a@example.com", Duration.ofDays(10), null, BigInteger.TWO);
        assertThatCode(() -> d.validate(ecSignOnly, "a@example.com", List.of())).as("issue() sets keyAgreement for EC").doesNotThrowAnyException();
    }

    @Test
    void revocationByCrlFileByFetchedCrlAndByTheBuiltInCa() throws Exception {
        X509Certificate revoked = good("r@example.com");
        X509Certificate fine = good("f@example.com");
        X509CRL crl = CertificateAuthority.crl(ca, caKeys.getPrivate(),
                List.of(new CertificateAuthority.Revoked(revoked.getSerialNumber(), Instant.now())), BigInteger.ONE, Duration.ofDays(1));
        Files.write(dir.resolve("ca.crl"), crl.getEncoded());
        CertDirectory fromFile = directory(", crlFiles: [\"" + dir.resolve("ca.crl") + "\"]");
        refused(fromFile, revoked, "r@example.com", "revoked");
        assertThatCode(() -> fromFile.validate(fine, "f@example.com", List.of())).doesNotThrowAnyException();

        // Distribution point: served over HTTP and cached; an unreachable one refuses the certificate.
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        int[] hits = {0};
        byte[] crlBytes = crl.getEncoded();
        http.createContext("/ext.crl", ex -> {
            hits[0]++;
            ex.sendResponseHeaders(200, crlBytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(crlBytes);
            }
        });
        http.start();
        try {
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/ext.crl";
            Instant now = Instant.now();
            X509Certificate withDp = user("dp@example.com", now.minusSeconds(60), now.plus(Duration.ofDays(1)), KeyUsage.keyEncipherment,
                    KeyPurposeId.id_kp_emailProtection, url);
            CertDirectory fetching = new CertDirectory(fromFile.store(), null, ConfigLoader.parse("t", "dataDir: " + dir.resolve("data")
                    + "\nsmime: {crlFetch: true, crlFetchTimeout: 2s, trustAnchors: [\"" + dir.resolve("ca.pem") + "\"]}\n"));
            assertThatCode(() -> fetching.validate(withDp, "dp@example.com", List.of())).doesNotThrowAnyException();
            assertThatCode(() -> fetching.validate(withDp, "dp@example.com", List.of())).doesNotThrowAnyException();
            assertThat(hits[0]).as("CRL cached until its next update").isEqualTo(1);
            X509Certificate deadDp = user("dead@example.com", now.minusSeconds(60), now.plus(Duration.ofDays(1)), KeyUsage.keyEncipherment,
                    KeyPurposeId.id_kp_emailProtection, "http://127.0.0.1:1/none.crl");
            refused(fetching, deadDp, "dead@example.com", "unavailable");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void builtInCaRevocationRefusesTheCertificate() throws Exception {
        MailsealConfig cfg = ConfigLoader.parse("t", "dataDir: " + dir.resolve("data2") + "\n");
        try (Database db = Database.open(cfg)) {
            MasterKey mk = MasterKey.unlock(db.dataSource(), "m".toCharArray(), 1024, 1);
            SmimeStore store = new SmimeStore(db.dataSource());
            KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.RSA3072);
            store.initCa(CertificateAuthority.createCa(kp, "mailseal CA", Duration.ofDays(100)), kp.getPrivate(), mk);
            CertDirectory d = new CertDirectory(store, mk, cfg);
            CertDirectory.ValidCert v = d.issue("u@example.com", 30, "p256");
            assertThat(d.find("u@example.com")).isPresent();
            store.revoke(v.cert()); // as `mailseal ca revoke` does, from another process
            refused(d, v.cert(), "u@example.com", "revoked");
            // A lookup answered a moment ago may stand for up to a second (RecentLookups), never longer.
            long revoked = System.nanoTime();
            while (d.find("u@example.com").isPresent() && System.nanoTime() - revoked < 3_000_000_000L) {
                Thread.sleep(50);
            }
            assertThat(d.find("u@example.com")).isEmpty();
            assertThat((System.nanoTime() - revoked) / 1_000_000).isLessThan(org.mailseal.keys.RecentLookups.TTL_NANOS / 1_000_000 + 500);
            X509CRL crl = d.currentCrl();
            assertThat(crl.isRevoked(v.cert())).isTrue();
            crl.verify(store.ca().orElseThrow().cert().getPublicKey());
        }
    }
}
