package org.mailseal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** The pieces of transport security that need no network: TLSA matching (RFC 7672 §3) and MTA-STS policies (RFC 8461 §3). */
class TransportPolicyTest {

    static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    static X509Certificate cert(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca, Instant notAfter,
                                String... dnsNames) throws Exception {
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuer), BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minus(Duration.ofDays(2))), Date.from(notAfter), new X500Name("CN=" + subject), subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (dnsNames.length > 0) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(java.util.Arrays.stream(dnsNames)
                    .map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    @Test
    void daneEeMatchesTheServersKeyWhateverItsNameOrDates() throws Exception {
        KeyPair k = keys();
        X509Certificate expiredElsewhere = cert("other.example", k, "other.example", k, false, Instant.now().minus(Duration.ofDays(1)), "other.example");
        DaneTrustManager tm = new DaneTrustManager(List.of(new Tlsa(3, 1, 1, sha256(k.getPublic().getEncoded()))), List.of("mx.b.test"));
        tm.checkServerTrusted(new X509Certificate[] {expiredElsewhere}, "ECDHE_ECDSA"); // RFC 7672 §3.1.1
        assertThat(tm.matched()).isEqualTo("DANE-EE");
        DaneTrustManager other = new DaneTrustManager(List.of(new Tlsa(3, 1, 1, new byte[32])), List.of("mx.b.test"));
        assertThatThrownBy(() -> other.checkServerTrusted(new X509Certificate[] {expiredElsewhere}, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("no TLSA record matches");
        // PKIX-TA(0) and PKIX-EE(1) are not for SMTP (RFC 7672 §3.1.3): a matching usage-1 record authenticates nothing
        DaneTrustManager pkixEe = new DaneTrustManager(List.of(new Tlsa(1, 1, 1, sha256(k.getPublic().getEncoded()))), List.of("mx.b.test"));
        assertThatThrownBy(() -> pkixEe.checkServerTrusted(new X509Certificate[] {expiredElsewhere}, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void daneTaNeedsTheChainToTheAnchorAndTheName() throws Exception {
        KeyPair caKeys = keys();
        KeyPair leafKeys = keys();
        Instant later = Instant.now().plus(Duration.ofDays(30));
        X509Certificate ca = cert("Test TA", caKeys, "Test TA", caKeys, true, later);
        X509Certificate leaf = cert("mx.b.test", leafKeys, "Test TA", caKeys, false, later, "mx.b.test");
        Tlsa ta = new Tlsa(2, 0, 1, sha256(ca.getEncoded()));
        DaneTrustManager tm = new DaneTrustManager(List.of(ta), List.of("mx.b.test", "b.test"));
        tm.checkServerTrusted(new X509Certificate[] {leaf, ca}, "ECDHE_ECDSA");
        assertThat(tm.matched()).isEqualTo("DANE-TA");
        // the TA certificate must be in the chain the server sent (RFC 7672 §3.2.1)
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {leaf}, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
        // a leaf the TA did not sign, presented with the TA certificate
        KeyPair rogue = keys();
        X509Certificate forged = cert("mx.b.test", rogue, "Test TA", rogue, false, later, "mx.b.test");
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {forged, ca}, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
        // a properly chained certificate for another name
        X509Certificate elsewhere = cert("mx.evil.test", leafKeys, "Test TA", caKeys, false, later, "mx.evil.test");
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {elsewhere, ca}, "ECDHE_ECDSA"))
                .hasMessageContaining("does not name");
        // a wildcard covers exactly the left-most label
        X509Certificate wild = cert("*.b.test", leafKeys, "Test TA", caKeys, false, later, "*.b.test");
        tm.checkServerTrusted(new X509Certificate[] {wild, ca}, "ECDHE_ECDSA");
        DaneTrustManager deeper = new DaneTrustManager(List.of(ta), List.of("a.mx.b.test"));
        assertThatThrownBy(() -> deeper.checkServerTrusted(new X509Certificate[] {wild, ca}, "ECDHE_ECDSA")).hasMessageContaining("does not name");
        // an expired leaf fails under DANE-TA (unlike DANE-EE)
        X509Certificate old = cert("mx.b.test", leafKeys, "Test TA", caKeys, false, Instant.now().minus(Duration.ofDays(1)), "mx.b.test");
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {old, ca}, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
    }

    @Test
    void tlsaRecordsWithUnusableParametersAreSkipped() {
        assertThat(new Tlsa(3, 1, 1, new byte[32]).usable()).isTrue();
        assertThat(new Tlsa(3, 1, 1, new byte[31]).usable()).isFalse();
        assertThat(new Tlsa(3, 1, 2, new byte[64]).usable()).isTrue();
        assertThat(new Tlsa(3, 2, 1, new byte[32]).usable()).isFalse();
        assertThat(new Tlsa(1, 1, 1, new byte[32]).usable()).isFalse();
        assertThat(new Tlsa(2, 0, 0, new byte[0]).usable()).isFalse();
    }

    @Test
    void mtaStsPoliciesParseStrictly() {
        MtaStsPolicy p = MtaStsPolicy.parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n");
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(p.maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(p.allows("mail.example.com")).isTrue();
        assertThat(p.allows("MAIL.example.com.")).isTrue();
        assertThat(p.allows("mx1.example.net")).isTrue();
        assertThat(p.allows("a.mx1.example.net")).isFalse(); // §4.1: the wildcard is one label
        assertThat(p.allows("example.net")).isFalse();
        assertThat(p.allows("evil.example.com")).isFalse();
        // LF line ends and unknown fields are accepted (§3.2)
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: testing\nmx: a.test\nmax_age: 86400\nextension: x\n").mode())
                .isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n")).hasMessageContaining("STSv1");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmax_age: 1\n")).hasMessageContaining("mx");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n")).hasMessageContaining("mode");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999\n")).hasMessageContaining("max_age");
        assertThat(MtaStsPolicy.txtId("v=STSv1; id=20160831085700Z;")).isEqualTo("20160831085700Z");
        assertThat(MtaStsPolicy.txtId("v=STSv1; id=bad-id")).isNull();
        assertThat(MtaStsPolicy.txtId("v=spf1 -all")).isNull();
    }

    @Test
    void tlsRptRecordsGiveTheirAddresses() {
        assertThat(TlsReportSender.rua(List.of("v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.com/x")))
                .containsExactly("mailto:reports@example.com", "https://r.example.com/x");
        assertThat(TlsReportSender.rua(List.of("v=TLSRPTv1; rua=mailto:a@x", "v=TLSRPTv1; rua=mailto:b@x"))).isEmpty(); // §3: exactly one
        assertThat(TlsReportSender.rua(List.of("v=spf1 -all"))).isEmpty();
    }
}
