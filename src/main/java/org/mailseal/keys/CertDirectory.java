package org.mailseal.keys;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.mail.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the S/MIME certificate to encrypt to for an address, validated at the moment of use (chain to
 * a configured trust anchor or the built-in CA, CRLs), and issues certificates from the built-in CA.
 */
public final class CertDirectory implements SmimeCerts.CrlSource {

    private static final Logger log = LoggerFactory.getLogger("certs");

    /** A usable certificate and why it was chosen. */
    public record ValidCert(X509Certificate cert, String fingerprint) {
    }

    private final SmimeStore store;
    private final MasterKey masterKey;
    private final MailsealConfig config;
    private final Set<TrustAnchor> configuredAnchors;
    private final List<X509CRL> crlFiles;
    private final Map<String, X509CRL> fetched = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final HttpClient http;

    public CertDirectory(SmimeStore store, MasterKey masterKey, MailsealConfig config) throws IOException, GeneralSecurityException {
        this.store = store;
        this.masterKey = masterKey;
        this.config = config;
        this.configuredAnchors = new HashSet<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Path p : config.smime().trustAnchors()) {
            try (InputStream in = Files.newInputStream(p)) {
                for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
                    configuredAnchors.add(new TrustAnchor((X509Certificate) c, null));
                }
            }
        }
        this.crlFiles = new ArrayList<>();
        for (Path p : config.smime().crlFiles()) {
            try (InputStream in = Files.newInputStream(p)) {
                for (java.security.cert.CRL c : cf.generateCRLs(in)) {
                    crlFiles.add((X509CRL) c);
                }
            }
        }
        this.http = HttpClient.newBuilder().connectTimeout(config.smime().crlFetchTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public SmimeStore store() {
        return store;
    }

    private Pkcs11Token token;
    private TokenKeys tokenKeys;

    /** Keep the CA key and newly issued users' keys in a PKCS#11 token. */
    public CertDirectory useToken(Pkcs11Token t, TokenKeys tk) {
        this.token = t;
        this.tokenKeys = tk;
        return this;
    }

    /** The CA's private key: a handle into the token, or unsealed from the store. */
    private java.security.PrivateKey caKey(SmimeStore.Ca ca) throws KeyStoreException, SQLException, GeneralSecurityException {
        if (tokenKeys != null) {
            Optional<String> alias = tokenKeys.alias(SmimeCerts.fingerprint(ca.cert()));
            if (alias.isPresent()) {
                return token.privateKey(alias.get());
            }
        }
        if (ca.sealedKey() == null || ca.sealedKey().length == 0) {
            throw new KeyStoreException("the CA key is in a PKCS#11 token: configure keys.pkcs11");
        }
        if (masterKey == null) {
            throw new KeyStoreException("no master passphrase: the CA key cannot be used");
        }
        return ca.key(masterKey);
    }

    /** Creates the CA with its key generated inside the token. */
    public X509Certificate initCaInToken(String name, Duration validity) throws KeyStoreException, SQLException, GeneralSecurityException {
        if (token == null) {
            throw new KeyStoreException("no PKCS#11 token configured (keys.pkcs11)");
        }
        KeyPair kp = token.generateRsa(3072);
        X509Certificate ca = CertificateAuthority.createCa(kp, name, validity);
        String alias = token.store(kp.getPrivate(), new X509Certificate[] {ca});
        if (!store.initCa(ca, null, null)) {
            throw new KeyStoreException("the CA exists already");
        }
        tokenKeys.put(SmimeCerts.fingerprint(ca), TokenKeys.Kind.CA, alias);
        return ca;
    }

    /** Configured anchors plus the built-in CA. */
    public Set<TrustAnchor> anchors() throws SQLException, GeneralSecurityException {
        Set<TrustAnchor> a = new HashSet<>(configuredAnchors);
        store.ca().ifPresent(ca -> a.add(new TrustAnchor(ca.cert(), null)));
        return a;
    }

    /** Validates {@code c} for {@code email} (null: any of its addresses) now. */
    public void validate(X509Certificate c, String email, List<X509Certificate> extraChain) throws KeyStoreException, SQLException, GeneralSecurityException {
        List<X509Certificate> chain = new ArrayList<>(store.chainCerts());
        chain.addAll(extraChain);
        SmimeCerts.validate(c, email, Instant.now(), anchors(), chain, this);
    }

    private final RecentLookups<Optional<ValidCert>> recent = new RecentLookups<>();

    /** The newest usable certificate for {@code email}, if any; the answer is reused for up to a second. */
    public Optional<ValidCert> find(String email) throws SQLException, GeneralSecurityException {
        String norm = Address.normalise(email);
        Optional<ValidCert> known = recent.recent(norm);
        return known != null ? known : recent.remember(norm, lookUp(norm));
    }

    /** Revokes {@code c} (the built-in CA's next CRL lists it) and stops using it at once in this process. */
    public void revoke(X509Certificate c) throws SQLException, GeneralSecurityException {
        store.revoke(c);
        SmimeCerts.emails(c).forEach(this::forget);
    }

    /** Forgets what {@link #find} answered for {@code email}: this process just changed its certificates. */
    public void forget(String email) {
        recent.forget(Address.normalise(email));
    }

    private Optional<ValidCert> lookUp(String email) throws SQLException, GeneralSecurityException {
        for (X509Certificate c : store.certsFor(email)) {
            try {
                validate(c, Address.normalise(email), List.of());
                return Optional.of(new ValidCert(c, SmimeCerts.fingerprint(c)));
            } catch (KeyStoreException e) {
                log.info("{}: stored certificate not usable: {}", email, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Issues (once, even under concurrency) a certificate from the built-in CA for {@code email}. */
    public ValidCert issue(String email, Integer days, String algo) throws KeyStoreException, SQLException, GeneralSecurityException {
        if (!Address.isPlainAddrSpec(email)) {
            throw new KeyStoreException("cannot issue a certificate for a quoted or routing address");
        }
        if (token != null) {
            return issueInToken(email, days);
        }
        if (masterKey == null) {
            throw new KeyStoreException("cannot issue a certificate for " + email + ": no master passphrase configured");
        }
        String norm = Address.normalise(email);
        synchronized (locks.computeIfAbsent(norm, k -> new Object())) {
            SmimeStore.Ca ca = store.ca().orElseThrow(() -> new KeyStoreException("cannot issue a certificate for " + email + ": no built-in CA (run: mailseal ca init)"));
            KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.parse(algo != null ? algo : config.ca().userKeyAlgorithm()));
            X509Certificate cert = CertificateAuthority.issue(ca.cert(), caKey(ca), kp.getPublic(), norm,
                    Duration.ofDays(days != null ? days : config.ca().userCertDays()), config.ca().crlUrl(), CertificateAuthority.serial());
            store.putCert(cert, true, List.of(norm));
            store.putPrivateKey(cert, kp.getPrivate(), masterKey);
            forget(norm);
            log.info("issued S/MIME certificate {} ({}) for {}", SmimeCerts.fingerprint(cert), SmimeCerts.keyAlgorithm(cert), norm);
            return new ValidCert(cert, SmimeCerts.fingerprint(cert));
        }
    }

    // The user's key pair is generated in the token (RSA-3072) and stays there; only the certificate is stored.
    private ValidCert issueInToken(String email, Integer days) throws KeyStoreException, SQLException, GeneralSecurityException {
        String norm = Address.normalise(email);
        synchronized (locks.computeIfAbsent(norm, k -> new Object())) {
            SmimeStore.Ca ca = store.ca().orElseThrow(() -> new KeyStoreException("cannot issue a certificate for " + email + ": no built-in CA (run: mailseal ca init)"));
            KeyPair kp = token.generateRsa(3072);
            X509Certificate cert = CertificateAuthority.issue(ca.cert(), caKey(ca), kp.getPublic(), norm,
                    Duration.ofDays(days != null ? days : config.ca().userCertDays()), config.ca().crlUrl(), CertificateAuthority.serial());
            String alias = token.store(kp.getPrivate(), new X509Certificate[] {cert, ca.cert()});
            store.putCert(cert, true, List.of(norm));
            tokenKeys.put(SmimeCerts.fingerprint(cert), TokenKeys.Kind.SMIME, alias);
            forget(norm);
            log.info("issued S/MIME certificate {} (rsa3072, key in the PKCS#11 token) for {}", SmimeCerts.fingerprint(cert), norm);
            return new ValidCert(cert, SmimeCerts.fingerprint(cert));
        }
    }

    /** The built-in CA's current CRL, signed now. */
    public X509CRL currentCrl() throws KeyStoreException, SQLException, GeneralSecurityException {
        SmimeStore.Ca ca = store.ca().orElseThrow(() -> new KeyStoreException("no built-in CA"));
        return CertificateAuthority.crl(ca.cert(), caKey(ca), store.revoked(), store.nextCrlNumber(), Duration.ofDays(7));
    }

    /**
     * Revocation (RFC 5280 §6.3): certificates of the built-in CA are checked against its own list;
     * others against configured CRL files and, if enabled, the CRL at their distribution point. A CRL
     * that cannot be fetched is logged and the certificate is not accepted.
     */
    @Override
    public void check(X509Certificate c, Instant now) throws KeyStoreException {
        try {
            Optional<SmimeStore.Ca> ca = store.ca();
            if (ca.isPresent() && c.getIssuerX500Principal().equals(ca.get().cert().getSubjectX500Principal())) {
                if (store.isRevoked(c.getSerialNumber())) {
                    throw new KeyStoreException(SmimeCerts.describe(c) + " refused: revoked");
                }
                return;
            }
            for (X509CRL crl : crlFiles) {
                if (crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())) {
                    SmimeCerts.checkAgainst(c, crl, issuerOf(c), now);
                }
            }
            if (config.smime().crlFetch()) {
                for (String url : distributionPoints(c)) {
                    SmimeCerts.checkAgainst(c, fetch(url, c), issuerOf(c), now);
                }
            }
        } catch (SQLException | GeneralSecurityException e) {
            throw new KeyStoreException(SmimeCerts.describe(c) + " refused: revocation check failed (" + e.getMessage() + ")");
        }
    }

    private X509Certificate issuerOf(X509Certificate c) throws SQLException, GeneralSecurityException, KeyStoreException {
        List<X509Certificate> candidates = new ArrayList<>(store.chainCerts());
        anchors().forEach(a -> candidates.add(a.getTrustedCert()));
        for (X509Certificate x : candidates) {
            if (x.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                return x;
            }
        }
        throw new KeyStoreException(SmimeCerts.describe(c) + " refused: issuer unknown for CRL check");
    }

    private X509CRL fetch(String url, X509Certificate c) throws KeyStoreException {
        X509CRL cached = fetched.get(url);
        if (cached != null && (cached.getNextUpdate() == null || Instant.now().isBefore(cached.getNextUpdate().toInstant()))) {
            return cached;
        }
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(config.smime().crlFetchTimeout()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IOException("HTTP " + r.statusCode());
            }
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(r.body()));
            fetched.put(url, crl);
            return crl;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            log.warn("CRL fetch from {} failed: {}", url, e.getMessage());
            throw new KeyStoreException(SmimeCerts.describe(c) + " refused: CRL at " + url + " unavailable (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeyStoreException(SmimeCerts.describe(c) + " refused: interrupted while fetching its CRL");
        }
    }

    static List<String> distributionPoints(X509Certificate c) {
        List<String> out = new ArrayList<>();
        byte[] ext = c.getExtensionValue(Extension.cRLDistributionPoints.getId());
        if (ext == null) {
            return out;
        }
        CRLDistPoint dp = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        for (DistributionPoint p : dp.getDistributionPoints()) {
            DistributionPointName n = p.getDistributionPoint();
            if (n != null && n.getType() == DistributionPointName.FULL_NAME) {
                for (GeneralName g : GeneralNames.getInstance(n.getName()).getNames()) {
                    if (g.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        String u = g.getName().toString();
                        if (u.startsWith("http://") || u.startsWith("https://")) {
                            out.add(u);
                        }
                    }
                }
            }
        }
        return out;
    }
}
