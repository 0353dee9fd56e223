package org.mailseal.keys;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.mail.Address;

/** S/MIME certificates, their sealed private keys, chain certificates and the built-in CA, in the JDBC store. */
public final class SmimeStore {

    /** A stored certificate's summary. */
    public record Entry(String fingerprint, String subject, String issuer, String serial, Instant notBefore, Instant notAfter,
                        String algorithm, boolean issued, boolean hasKey, List<String> emails, String source) {
        /** Where it came from, in words: issued by the built-in CA, imported, harvested (how). */
        public String origin() {
            return issued ? "built-in CA" : source != null ? source : "imported or learned";
        }
    }

    /** The built-in CA as stored. */
    public record Ca(X509Certificate cert, byte[] sealedKey) {
        public PrivateKey key(MasterKey mk) throws KeyStoreException {
            return privateKey(mk.open(sealedKey, "ca".getBytes(StandardCharsets.US_ASCII)), cert);
        }
    }

    private final DataSource ds;

    public SmimeStore(DataSource ds) {
        this.ds = ds;
    }

    /** Stores a certificate bound to every rfc822Name it carries (an administrator's import). */
    public void putCert(X509Certificate c, boolean issued) throws SQLException, GeneralSecurityException {
        putCert(c, issued, SmimeCerts.emails(c));
    }

    /**
     * Stores a certificate bound to exactly {@code addresses} (normalised), each of which the certificate
     * must name: a certificate issued or learned for one address is filed under that one only.
     */
    public void putCert(X509Certificate c, boolean issued, List<String> addresses) throws SQLException, GeneralSecurityException {
        List<String> bound = addresses.stream().map(org.mailseal.mail.Address::normalise).distinct().toList();
        if (bound.isEmpty() || !SmimeCerts.emails(c).containsAll(bound)) {
            throw new GeneralSecurityException("certificate " + SmimeCerts.fingerprint(c) + " does not name " + bound);
        }
        String fpr = SmimeCerts.fingerprint(c);
        try (Connection con = ds.getConnection()) {
            con.setAutoCommit(false);
            try {
                exec(con, "DELETE FROM smime_cert_emails WHERE fingerprint = ?", fpr);
                boolean exists;
                try (PreparedStatement q = con.prepareStatement("SELECT issued_by_gateway FROM smime_certs WHERE fingerprint = ?")) {
                    q.setString(1, fpr);
                    try (ResultSet rs = q.executeQuery()) {
                        exists = rs.next();
                        issued = issued || (exists && rs.getBoolean(1));
                    }
                }
                if (exists) {
                    // Same fingerprint, same certificate bytes: only the flag can change.
                    try (PreparedStatement ps = con.prepareStatement("UPDATE smime_certs SET issued_by_gateway = ? WHERE fingerprint = ?")) {
                        ps.setBoolean(1, issued);
                        ps.setString(2, fpr);
                        ps.executeUpdate();
                    }
                } else {
                    try (PreparedStatement ps = con.prepareStatement("INSERT INTO smime_certs(fingerprint, subject, issuer, serial, not_before, not_after,"
                            + " algorithm, issued_by_gateway, imported_at, cert) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
                        ps.setString(1, fpr);
                        ps.setString(2, truncate(c.getSubjectX500Principal().getName()));
                        ps.setString(3, truncate(c.getIssuerX500Principal().getName()));
                        ps.setString(4, c.getSerialNumber().toString(16).toUpperCase());
                        ps.setTimestamp(5, Timestamp.from(c.getNotBefore().toInstant()));
                        ps.setTimestamp(6, Timestamp.from(c.getNotAfter().toInstant()));
                        ps.setString(7, SmimeCerts.keyAlgorithm(c));
                        ps.setBoolean(8, issued);
                        ps.setTimestamp(9, Timestamp.from(Instant.now()));
                        ps.setBytes(10, c.getEncoded());
                        ps.executeUpdate();
                    }
                }
                try (PreparedStatement ps = con.prepareStatement("INSERT INTO smime_cert_emails(fingerprint, email) VALUES (?,?)")) {
                    for (String e : bound) {
                        ps.setString(1, fpr);
                        ps.setString(2, e);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                con.commit();
            } catch (SQLException | RuntimeException e) {
                con.rollback();
                throw e;
            }
        }
    }

    private static String truncate(String s) {
        return s.length() > 1000 ? s.substring(0, 1000) : s;
    }

    public void putPrivateKey(X509Certificate c, PrivateKey key, MasterKey mk) throws SQLException {
        String fpr = SmimeCerts.fingerprint(c);
        byte[] sealed = mk.seal(key.getEncoded(), fpr.getBytes(StandardCharsets.US_ASCII));
        try (Connection con = ds.getConnection()) {
            exec(con, "DELETE FROM smime_private_keys WHERE fingerprint = ?", fpr);
            try (PreparedStatement ps = con.prepareStatement("INSERT INTO smime_private_keys(fingerprint, sealed, created_at) VALUES (?,?,?)")) {
                ps.setString(1, fpr);
                ps.setBytes(2, sealed);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
        }
    }

    /** Stores an intermediate certificate from an imported chain. */
    public void putChainCert(X509Certificate c) throws SQLException, GeneralSecurityException {
        String fpr = SmimeCerts.fingerprint(c);
        try (Connection con = ds.getConnection()) {
            exec(con, "DELETE FROM smime_chain_certs WHERE fingerprint = ?", fpr);
            try (PreparedStatement ps = con.prepareStatement("INSERT INTO smime_chain_certs(fingerprint, cert) VALUES (?,?)")) {
                ps.setString(1, fpr);
                ps.setBytes(2, c.getEncoded());
                ps.executeUpdate();
            }
        }
    }

    public List<X509Certificate> chainCerts() throws SQLException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT cert FROM smime_chain_certs");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(parse(rs.getBytes(1)));
            }
        }
        return out;
    }

    /** Certificates for an address, newest first. */
    public List<X509Certificate> certsFor(String email) throws SQLException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement(
                "SELECT c.cert FROM smime_certs c JOIN smime_cert_emails e ON e.fingerprint = c.fingerprint WHERE e.email = ? ORDER BY c.issued_by_gateway, c.not_before DESC")) {
            ps.setString(1, Address.normalise(email));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(parse(rs.getBytes(1)));
                }
            }
        }
        return out;
    }

    public Optional<X509Certificate> cert(String fingerprint) throws SQLException, GeneralSecurityException {
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT cert FROM smime_certs WHERE fingerprint = ?")) {
            ps.setString(1, fingerprint.replace(":", "").toUpperCase());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(parse(rs.getBytes(1))) : Optional.empty();
            }
        }
    }

    public Optional<PrivateKey> privateKey(String fingerprint, MasterKey mk) throws SQLException, GeneralSecurityException, KeyStoreException {
        X509Certificate c = cert(fingerprint).orElse(null);
        if (c == null) {
            return Optional.empty();
        }
        String fpr = SmimeCerts.fingerprint(c);
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT sealed FROM smime_private_keys WHERE fingerprint = ?")) {
            ps.setString(1, fpr);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(privateKey(mk.open(rs.getBytes(1), fpr.getBytes(StandardCharsets.US_ASCII)), c)) : Optional.empty();
            }
        }
    }

    static PrivateKey privateKey(byte[] pkcs8, X509Certificate c) throws KeyStoreException {
        try {
            String alg = c.getPublicKey().getAlgorithm();
            return KeyFactory.getInstance(alg.equals("EC") ? "EC" : alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException("private key for " + SmimeCerts.describe(c) + " is damaged");
        } finally {
            java.util.Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /** Records where a stored certificate came from ({@link Entry#origin()}). */
    public void setSource(String fingerprint, String source) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE smime_certs SET source = ? WHERE fingerprint = ?")) {
            ps.setString(1, source);
            ps.setString(2, fingerprint.replace(":", "").toUpperCase(java.util.Locale.ROOT));
            ps.executeUpdate();
        }
    }

    public List<Entry> list(String email) throws SQLException {
        List<Entry> out = new ArrayList<>();
        String sql = "SELECT c.fingerprint, c.subject, c.issuer, c.serial, c.not_before, c.not_after, c.algorithm, c.issued_by_gateway,"
                + " (SELECT COUNT(*) FROM smime_private_keys k WHERE k.fingerprint = c.fingerprint), c.source FROM smime_certs c"
                + (email != null ? " WHERE c.fingerprint IN (SELECT fingerprint FROM smime_cert_emails WHERE email = ?)" : "")
                + " ORDER BY c.not_before";
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement(sql)) {
            if (email != null) {
                ps.setString(1, Address.normalise(email));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> emails = new ArrayList<>();
                    try (PreparedStatement e = con.prepareStatement("SELECT email FROM smime_cert_emails WHERE fingerprint = ? ORDER BY email")) {
                        e.setString(1, rs.getString(1));
                        try (ResultSet er = e.executeQuery()) {
                            while (er.next()) {
                                emails.add(er.getString(1));
                            }
                        }
                    }
                    out.add(new Entry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getTimestamp(5).toInstant(),
                            rs.getTimestamp(6).toInstant(), rs.getString(7), rs.getBoolean(8), rs.getInt(9) > 0, emails, rs.getString(10)));
                }
            }
        }
        return out;
    }

    public boolean delete(String fingerprint) throws SQLException {
        String fpr = fingerprint.replace(":", "").toUpperCase();
        try (Connection con = ds.getConnection()) {
            exec(con, "DELETE FROM smime_private_keys WHERE fingerprint = ?", fpr);
            exec(con, "DELETE FROM smime_cert_emails WHERE fingerprint = ?", fpr);
            return exec(con, "DELETE FROM smime_certs WHERE fingerprint = ?", fpr) == 1;
        }
    }

    // ---- built-in CA ----

    public Optional<Ca> ca() throws SQLException, GeneralSecurityException {
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT cert, sealed_key FROM ca WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(new Ca(parse(rs.getBytes(1)), rs.getBytes(2))) : Optional.empty();
        }
    }

    /** Stores the CA; false if one exists already. */
    public boolean initCa(X509Certificate cert, PrivateKey key, MasterKey mk) throws SQLException, GeneralSecurityException {
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement(
                "INSERT INTO ca(id, cert, sealed_key, crl_number, created_at) VALUES (1,?,?,0,?)")) {
            ps.setBytes(1, cert.getEncoded());
            // key null: the CA key lives in a PKCS#11 token (see TokenKeys); nothing sealed here.
            ps.setBytes(2, key == null ? new byte[0] : mk.seal(key.getEncoded(), "ca".getBytes(StandardCharsets.US_ASCII)));
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (ca().isPresent()) {
                return false;
            }
            throw e;
        }
    }

    public void revoke(X509Certificate c) throws SQLException {
        try (Connection con = ds.getConnection()) {
            String serial = c.getSerialNumber().toString(16).toUpperCase();
            exec(con, "DELETE FROM ca_revoked WHERE serial = ?", serial);
            try (PreparedStatement ps = con.prepareStatement("INSERT INTO ca_revoked(serial, fingerprint, revoked_at) VALUES (?,?,?)")) {
                ps.setString(1, serial);
                ps.setString(2, SmimeCerts.fingerprint(c));
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
        }
    }

    /**
     * Revokes the certificates the built-in CA issued that match: all of {@code email}'s, or the one with
     * {@code fingerprint} (either may be null, not both). Returns those revoked.
     */
    public List<Entry> revokeIssued(String email, String fingerprint) throws SQLException, GeneralSecurityException {
        if (email == null && fingerprint == null) {
            throw new IllegalArgumentException("give an address or a fingerprint");
        }
        Ca ca = ca().orElseThrow(() -> new IllegalArgumentException("no CA"));
        List<Entry> done = new ArrayList<>();
        for (Entry e : list(email)) {
            if (fingerprint != null && !e.fingerprint().equalsIgnoreCase(fingerprint.replace(":", ""))) {
                continue;
            }
            X509Certificate c = cert(e.fingerprint()).orElseThrow();
            if (!c.getIssuerX500Principal().equals(ca.cert().getSubjectX500Principal())) {
                continue;
            }
            revoke(c);
            done.add(e);
        }
        return done;
    }

    public boolean isRevoked(BigInteger serial) throws SQLException {
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT 1 FROM ca_revoked WHERE serial = ?")) {
            ps.setString(1, serial.toString(16).toUpperCase());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public List<CertificateAuthority.Revoked> revoked() throws SQLException {
        List<CertificateAuthority.Revoked> out = new ArrayList<>();
        try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement("SELECT serial, revoked_at FROM ca_revoked ORDER BY revoked_at");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new CertificateAuthority.Revoked(new BigInteger(rs.getString(1), 16), rs.getTimestamp(2).toInstant()));
            }
        }
        return out;
    }

    /** Increments and returns the CRL number (RFC 5280 §5.2.3). */
    public synchronized BigInteger nextCrlNumber() throws SQLException {
        try (Connection con = ds.getConnection()) {
            exec(con, "UPDATE ca SET crl_number = crl_number + 1 WHERE id = 1");
            try (PreparedStatement ps = con.prepareStatement("SELECT crl_number FROM ca WHERE id = 1"); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? BigInteger.valueOf(rs.getLong(1)) : BigInteger.ONE;
            }
        }
    }

    private static int exec(Connection con, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = con.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    static X509Certificate parse(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
