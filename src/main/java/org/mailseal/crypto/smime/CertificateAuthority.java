package org.mailseal.crypto.smime;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The built-in CA's operations, pure functions over keys and certificates: create the CA, issue S/MIME
 * user certificates (SAN rfc822Name, KU, EKU emailProtection, SKI/AKI, optional CRL DP), sign CRLs.
 */
public final class CertificateAuthority {

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateAuthority() {
    }

    /** Key algorithms for the CA and user certificates. */
    public enum Algo {
        RSA3072, P256;

        public static Algo parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "rsa3072", "rsa" -> RSA3072;
                case "p256", "ec", "ec-p256", "secp256r1", "prime256v1" -> P256;
                default -> throw new IllegalArgumentException("unknown certificate key algorithm '" + s + "' (rsa3072, p256)");
            };
        }
    }

    public static KeyPair keyPair(Algo algo) throws GeneralSecurityException {
        if (algo == Algo.RSA3072) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072, RANDOM);
            return g.generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    static String signatureAlgorithm(PrivateKey k) {
        return k instanceof ECKey ? "SHA256withECDSA" : "SHA256withRSA";
    }

    /** A self-signed CA certificate. */
    public static X509Certificate createCa(KeyPair kp, String commonName, Duration validity) throws GeneralSecurityException {
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).addRDN(BCStyle.O, "mailseal").build();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(validity)), name, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
            return sign(b, kp.getPrivate());
        } catch (java.io.IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** An S/MIME user certificate for {@code email}, signed by the CA. */
    public static X509Certificate issue(X509Certificate ca, PrivateKey caKey, java.security.PublicKey userKey, String email,
                                        Duration validity, String crlUrl, BigInteger serial) throws GeneralSecurityException {
        Instant now = Instant.now();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, email).build();
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            int ku = KeyUsage.digitalSignature | (userKey instanceof ECKey ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial, Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(validity)), subject, userKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(ku))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.rfc822Name, email)))
                    .addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(userKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca));
            if (crlUrl != null) {
                DistributionPoint dp = new DistributionPoint(new DistributionPointName(
                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl))), null, null);
                b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {dp}));
            }
            return sign(b, caKey);
        } catch (java.io.IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** One revoked certificate for a CRL. */
    public record Revoked(BigInteger serial, Instant when) {
    }

    /** A CRL (RFC 5280 §5) valid for {@code validity}, with CRL number {@code number}. */
    public static X509CRL crl(X509Certificate ca, PrivateKey caKey, List<Revoked> revoked, BigInteger number, Duration validity)
            throws GeneralSecurityException {
        Instant now = Instant.now();
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), Date.from(now));
            b.setNextUpdate(Date.from(now.plus(validity)));
            for (Revoked r : revoked) {
                b.addCRLEntry(r.serial(), Date.from(r.when()), CRLReason.unspecified);
            }
            b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
            ContentSigner s = new JcaContentSignerBuilder(signatureAlgorithm(caKey)).build(caKey);
            X509CRLHolder h = b.build(s);
            return new JcaX509CRLConverter().getCRL(h);
        } catch (java.io.IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws org.bouncycastle.operator.OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(signatureAlgorithm(key)).build(key)));
    }

    public static BigInteger serial() {
        return new BigInteger(120, RANDOM).add(BigInteger.ONE);
    }
}
