package org.mailseal.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.mail.Address;

/**
 * OpenPGP certificates and secret keys in the JDBC store (H2 or PostgreSQL). Certificates are
 * validated before they are stored; secret keys are sealed under the {@link MasterKey}.
 */
public final class PgpKeyStore {

    /** A stored certificate's summary. */
    public record Entry(String fingerprint, String algorithm, Instant created, Instant expires, boolean managed,
                        boolean hasSecret, List<String> emails, String source) {
        /** Where it came from, in words: generated, imported, uploaded by the user, harvested (how). */
        public String origin() {
            return managed ? "generated" : source != null ? source : "imported or learned";
        }
    }

    private final DataSource ds;

    public PgpKeyStore(DataSource ds) {
        this.ds = ds;
    }

    /**
     * Validates and stores (or replaces) a certificate, bound to every address of its valid self-signed
     * user ids (an administrator's import). Returns the validated view.
     */
    public PgpKeys.ValidCert putCert(PGPPublicKeyRing ring, boolean managed) throws KeyStoreException, SQLException, IOException {
        return putCert(ring, managed, null);
    }

    /**
     * As {@link #putCert(PGPPublicKeyRing, boolean)}, but bound to exactly {@code addresses}
     * (normalised), each of which must be the address of one of the key's valid user ids. A key
     * generated or learned for one address is filed under that address and no other: the binding is
     * the store's, never re-read from a user id at use.
     */
    public PgpKeys.ValidCert putCert(PGPPublicKeyRing ring, boolean managed, List<String> addresses)
            throws KeyStoreException, SQLException, IOException {
        PgpKeys.ValidCert v = PgpKeys.validate(ring, null, Instant.now());
        List<String> bound = addresses == null ? v.emails() : addresses.stream().map(org.mailseal.mail.Address::normalise).distinct().toList();
        if (bound.isEmpty() || !v.emails().containsAll(bound)) {
            throw new KeyStoreException("key " + v.fingerprint() + " refused: no user id for " + bound);
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement del = c.prepareStatement("DELETE FROM pgp_cert_emails WHERE fingerprint = ?")) {
                    del.setString(1, v.fingerprint());
                    del.executeUpdate();
                }
                boolean exists;
                try (PreparedStatement q = c.prepareStatement("SELECT gateway_managed FROM pgp_certs WHERE fingerprint = ?")) {
                    q.setString(1, v.fingerprint());
                    try (ResultSet rs = q.executeQuery()) {
                        exists = rs.next();
                        managed = managed || (exists && rs.getBoolean(1));
                    }
                }
                String sql = exists
                        ? "UPDATE pgp_certs SET algorithm=?, created_at=?, expires_at=?, gateway_managed=?, imported_at=?, cert=? WHERE fingerprint=?"
                        : "INSERT INTO pgp_certs(algorithm, created_at, expires_at, gateway_managed, imported_at, cert, fingerprint) VALUES (?,?,?,?,?,?,?)";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, v.algorithm());
                    ps.setTimestamp(2, Timestamp.from(v.created()));
                    ps.setTimestamp(3, v.expires() != null ? Timestamp.from(v.expires()) : null);
                    ps.setBoolean(4, managed);
                    ps.setTimestamp(5, Timestamp.from(Instant.now()));
                    ps.setBytes(6, ring.getEncoded());
                    ps.setString(7, v.fingerprint());
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgp_cert_emails(fingerprint, email) VALUES (?,?)")) {
                    for (String e : bound) {
                        ps.setString(1, v.fingerprint());
                        ps.setString(2, e);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        return v;
    }

    /** Stores a secret key (its certificate must be stored first), sealed under the master key. */
    public void putSecret(String fingerprint, PGPSecretKeyRing ring, MasterKey mk) throws SQLException, IOException {
        byte[] sealed = mk.seal(ring.getEncoded(), fingerprint.getBytes(StandardCharsets.US_ASCII));
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM pgp_secret_keys WHERE fingerprint = ?")) {
                del.setString(1, fingerprint);
                del.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgp_secret_keys(fingerprint, sealed, created_at) VALUES (?,?,?)")) {
                ps.setString(1, fingerprint);
                ps.setBytes(2, sealed);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
        }
    }

    public Optional<PGPPublicKeyRing> cert(String fingerprint) throws SQLException, IOException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT cert FROM pgp_certs WHERE fingerprint = ?")) {
            ps.setString(1, normaliseFpr(fingerprint));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(PgpKeys.parsePublic(rs.getBytes(1))) : Optional.empty();
            }
        }
    }

    /**
     * Certificates stored for an address: imported ones before gateway-generated ones, newest first within
     * each (not re-validated: callers validate at use).
     */
    public List<PGPPublicKeyRing> certsFor(String email) throws SQLException, IOException {
        List<PGPPublicKeyRing> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT p.cert FROM pgp_certs p JOIN pgp_cert_emails e ON e.fingerprint = p.fingerprint WHERE e.email = ? ORDER BY p.gateway_managed, p.created_at DESC")) {
            ps.setString(1, Address.normalise(email));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(PgpKeys.parsePublic(rs.getBytes(1)));
                }
            }
        }
        return out;
    }

    public Optional<PGPSecretKeyRing> secret(String fingerprint, MasterKey mk) throws SQLException, IOException, KeyStoreException {
        String fpr = normaliseFpr(fingerprint);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT sealed FROM pgp_secret_keys WHERE fingerprint = ?")) {
            ps.setString(1, fpr);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                byte[] plain = mk.open(rs.getBytes(1), fpr.getBytes(StandardCharsets.US_ASCII));
                try {
                    return Optional.of(PgpKeys.parseSecret(plain));
                } catch (PGPException e) {
                    throw new KeyStoreException("secret key " + fpr + " is damaged");
                } finally {
                    java.util.Arrays.fill(plain, (byte) 0);
                }
            }
        }
    }

    /** The addresses in {@code domain} that have a certificate here, sorted. */
    public List<String> addressesIn(String domain) throws SQLException {
        List<String> out = new ArrayList<>();
        String d = domain.toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT DISTINCT email FROM pgp_cert_emails WHERE email LIKE ? ESCAPE '\\' ORDER BY email")) {
            ps.setString(1, "%@" + d);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** Records where a stored key came from ({@link Entry#origin()}). */
    public void setSource(String fingerprint, String source) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE pgp_certs SET source = ? WHERE fingerprint = ?")) {
            ps.setString(1, source);
            ps.setString(2, normaliseFpr(fingerprint));
            ps.executeUpdate();
        }
    }

    public List<Entry> list(String email) throws SQLException {
        List<Entry> out = new ArrayList<>();
        String sql = "SELECT p.fingerprint, p.algorithm, p.created_at, p.expires_at, p.gateway_managed,"
                + " (SELECT COUNT(*) FROM pgp_secret_keys s WHERE s.fingerprint = p.fingerprint), p.source FROM pgp_certs p"
                + (email != null ? " WHERE p.fingerprint IN (SELECT fingerprint FROM pgp_cert_emails WHERE email = ?)" : "")
                + " ORDER BY p.created_at";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (email != null) {
                ps.setString(1, Address.normalise(email));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp exp = rs.getTimestamp(4);
                    out.add(new Entry(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                            exp != null ? exp.toInstant() : null, rs.getBoolean(5), rs.getInt(6) > 0, emails(c, rs.getString(1)), rs.getString(7)));
                }
            }
        }
        return out;
    }

    private static List<String> emails(Connection c, String fpr) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT email FROM pgp_cert_emails WHERE fingerprint = ? ORDER BY email")) {
            ps.setString(1, fpr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    public boolean delete(String fingerprint) throws SQLException {
        String fpr = normaliseFpr(fingerprint);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (String sql : new String[] {"DELETE FROM pgp_secret_keys WHERE fingerprint = ?", "DELETE FROM pgp_cert_emails WHERE fingerprint = ?"}) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, fpr);
                    ps.executeUpdate();
                }
            }
            int n;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM pgp_certs WHERE fingerprint = ?")) {
                ps.setString(1, fpr);
                n = ps.executeUpdate();
            }
            c.commit();
            return n == 1;
        }
    }

    public static String normaliseFpr(String fpr) {
        return fpr.replace(" ", "").toUpperCase(Locale.ROOT);
    }

    /**
     * Claims the generation of {@code email}'s key for this node (table {@code key_generation}); false while another
     * node holds a claim younger than {@code stale}. An older claim (its node died) is taken over.
     */
    public boolean claimGeneration(String email, java.time.Duration stale) throws SQLException {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM key_generation WHERE email = ? AND claimed_at < ?")) {
                d.setString(1, email);
                d.setTimestamp(2, java.sql.Timestamp.from(java.time.Instant.now().minus(stale)));
                d.executeUpdate();
            }
            try (PreparedStatement i = c.prepareStatement("INSERT INTO key_generation (email, claimed_at) VALUES (?, ?)")) {
                i.setString(1, email);
                i.setTimestamp(2, java.sql.Timestamp.from(java.time.Instant.now()));
                return i.executeUpdate() == 1;
            } catch (SQLException held) {
                return false;
            }
        }
    }

    /** Ends this node's claim on {@code email}. */
    public void releaseGeneration(String email) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement d = c.prepareStatement("DELETE FROM key_generation WHERE email = ?")) {
            d.setString(1, email);
            d.executeUpdate();
        }
    }
}
