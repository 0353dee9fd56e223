package org.mailseal.crypto.smime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mailseal.crypto.KeyStoreException;

/**
 * X.509 certificates for S/MIME: reading (PEM, DER, PKCS#7 bundles, PKCS#12), and checking a
 * certificate for encryption to an address (RFC 8550): validity dates, key usage (keyEncipherment for
 * RSA, keyAgreement for EC), extended key usage (emailProtection, §4.4.4), the rfc822Name (§3), the
 * chain to a trust anchor, and revocation by CRL.
 */
public final class SmimeCerts {

    private SmimeCerts() {
    }

    /** What a file held: certificates, and, from a PKCS#12 file, private keys matched to them. */
    public record Bundle(List<X509Certificate> certs, List<KeyPairEntry> keys) {
    }

    /** A private key with its certificate chain (leaf first). */
    public record KeyPairEntry(PrivateKey key, List<X509Certificate> chain) {
    }

    /** RFC 7468 textual encoding: 64-character lines between BEGIN and END. */
    public static byte[] pem(String type, byte[] der) {
        return ("-----BEGIN " + type + "-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A short description for messages: subject and SHA-256 fingerprint. */
    public static String describe(X509Certificate c) {
        return "certificate " + c.getSubjectX500Principal().getName() + " (SHA-256 " + fingerprint(c) + ")";
    }

    /** Reads PEM (one or many), DER, or a PKCS#7 bundle; PKCS#12 when a password is given. */
    public static Bundle read(byte[] data, char[] p12Password) throws IOException {
        if (p12Password != null) {
            return readP12(data, p12Password);
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends java.security.cert.Certificate> all = cf.generateCertificates(new ByteArrayInputStream(data));
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : all) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException("no certificate found");
            }
            return new Bundle(out, List.of());
        } catch (GeneralSecurityException e) {
            if (looksLikeP12(data)) {
                throw new IOException("this looks like a PKCS#12 file: give its password");
            }
            throw new IOException("not a certificate (PEM, DER or PKCS#7): " + e.getMessage());
        }
    }

    private static boolean looksLikeP12(byte[] d) {
        return d.length > 4 && d[0] == 0x30 && !new String(d, 0, Math.min(d.length, 64), StandardCharsets.ISO_8859_1).contains("-----BEGIN");
    }

    private static Bundle readP12(byte[] data, char[] password) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(data), password);
            List<X509Certificate> certs = new ArrayList<>();
            List<KeyPairEntry> keys = new ArrayList<>();
            for (Enumeration<String> e = ks.aliases(); e.hasMoreElements(); ) {
                String alias = e.nextElement();
                if (ks.isKeyEntry(alias)) {
                    Key k = ks.getKey(alias, password);
                    java.security.cert.Certificate[] chain = ks.getCertificateChain(alias);
                    List<X509Certificate> c = new ArrayList<>();
                    for (java.security.cert.Certificate x : chain) {
                        c.add((X509Certificate) x);
                    }
                    keys.add(new KeyPairEntry((PrivateKey) k, c));
                    certs.add(c.get(0));
                } else if (ks.getCertificate(alias) instanceof X509Certificate x) {
                    certs.add(x);
                }
            }
            return new Bundle(certs, keys);
        } catch (GeneralSecurityException | IOException e) {
            throw new IOException("cannot read PKCS#12 file (wrong password?): " + e.getMessage());
        }
    }

    /** The rfc822Name entries of the subjectAltName, lower-cased domain (RFC 8550 §3). */
    public static List<String> emails(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(1).equals(san.get(0))) {
                        out.add(org.mailseal.mail.Address.normalise(String.valueOf(san.get(1))));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return List.of();
        }
        return out;
    }

    public static boolean isCa(X509Certificate c) {
        return c.getBasicConstraints() >= 0;
    }

    /**
     * The checks that need no issuer: dates, key usage, EKU and the address. Enough on its own for a
     * certificate that DNSSEC vouches for (an SMIMEA record with usage DANE-EE, RFC 8162 §2).
     */
    public static void validateUse(X509Certificate c, String email, Instant now) throws KeyStoreException {
        Date at = Date.from(now);
        if (at.after(c.getNotAfter())) {
            throw refuse(c, "expired on " + c.getNotAfter().toInstant());
        }
        if (at.before(c.getNotBefore())) {
            throw refuse(c, "not valid before " + c.getNotBefore().toInstant());
        }
        if (isCa(c)) {
            throw refuse(c, "is a CA certificate, not a user certificate");
        }
        boolean[] ku = c.getKeyUsage();
        if (c.getPublicKey() instanceof RSAKey) {
            if (ku != null && !ku[2]) { // RFC 8550 §4.4.2: keyEncipherment for RSA key transport
                throw refuse(c, "key usage lacks keyEncipherment (RSA)");
            }
        } else if (c.getPublicKey() instanceof ECKey) {
            if (ku != null && !ku[4]) { // keyAgreement for ECDH
                throw refuse(c, "key usage lacks keyAgreement (EC)");
            }
        } else {
            throw refuse(c, "unsupported key algorithm " + c.getPublicKey().getAlgorithm());
        }
        try {
            List<String> eku = c.getExtendedKeyUsage();
            // RFC 8550 §4.4.4: if EKU is present it must allow emailProtection
            if (eku != null && !eku.contains("1.3.6.1.5.5.7.3.4") && !eku.contains("2.5.29.37.0")) {
                throw refuse(c, "extended key usage lacks emailProtection");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw refuse(c, "unreadable extended key usage");
        }
        List<String> emails = emails(c);
        if (emails.isEmpty()) {
            throw refuse(c, "no rfc822Name in subjectAltName");
        }
        if (email != null && emails.stream().noneMatch(e -> e.equalsIgnoreCase(email))) {
            throw refuse(c, "rfc822Name " + emails + " does not match " + email);
        }
    }

    /**
     * Checks that {@code c} may be used to encrypt mail to {@code email} (null: to its own addresses)
     * at {@code now}: dates, key usage, EKU, address, chain to one of {@code anchors} (intermediates
     * from {@code chain}), and revocation through {@code crls}. Throws naming the certificate and reason.
     */
    public static void validate(X509Certificate c, String email, Instant now, Set<TrustAnchor> anchors,
                                List<X509Certificate> chain, CrlSource crls) throws KeyStoreException {
        validateUse(c, email, now);
        Date at = Date.from(now);
        if (anchors.isEmpty()) {
            throw refuse(c, "no trust anchors configured (smime.trustAnchors) and no built-in CA");
        }
        try {
            List<X509Certificate> path = new ArrayList<>();
            path.add(c);
            for (X509Certificate x : chain) {
                if (!x.equals(c) && anchors.stream().noneMatch(a -> x.equals(a.getTrustedCert()))) {
                    path.add(x);
                }
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setDate(at);
            params.setRevocationEnabled(false); // checked below against our CRL sources
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException e) {
            throw refuse(c, "no valid chain to a trust anchor (" + e.getMessage() + ")");
        }
        crls.check(c, now);
    }

    static KeyStoreException refuse(X509Certificate c, String reason) {
        return new KeyStoreException(describe(c) + " refused: " + reason);
    }

    /** Revocation status by CRL. */
    public interface CrlSource {
        /** Throws when {@code c} is revoked, or when its CRL is required and cannot be had. */
        void check(X509Certificate c, Instant now) throws KeyStoreException;

        CrlSource NONE = (c, now) -> {
        };
    }

    /** Checks {@code c} against a CRL from its issuer. */
    public static void checkAgainst(X509Certificate c, X509CRL crl, X509Certificate issuer, Instant now) throws KeyStoreException {
        try {
            crl.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw refuse(c, "CRL signature does not verify");
        }
        if (crl.getNextUpdate() != null && now.isAfter(crl.getNextUpdate().toInstant())) {
            throw refuse(c, "CRL is out of date (next update " + crl.getNextUpdate().toInstant() + ")");
        }
        if (crl.isRevoked(c)) {
            throw refuse(c, "revoked");
        }
    }

    static final List<X509Certificate> NO_CHAIN = Collections.emptyList();

    public static String keyAlgorithm(X509Certificate c) {
        if (c.getPublicKey() instanceof RSAKey r) {
            return "rsa" + r.getModulus().bitLength();
        }
        if (c.getPublicKey() instanceof ECKey ec) {
            return "ec-p" + ec.getParams().getCurve().getField().getFieldSize();
        }
        return c.getPublicKey().getAlgorithm().toLowerCase(Locale.ROOT);
    }
}
