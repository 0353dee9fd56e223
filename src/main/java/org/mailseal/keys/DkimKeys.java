package org.mailseal.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import org.mailseal.mailauth.dkim.DkimKeyRecord;
import org.mailseal.mailauth.dkim.DkimSigner;

/**
 * The domains' DKIM signing keys: rsa-sha256 (2048 bits, RFC 8301) and ed25519-sha256 (RFC 8463), each
 * under its selector, the private key sealed under the master key like every other private key.
 *
 * <p>Rotation without a gap (RFC 6376 §3.1 selectors): a new key starts {@link State#PUBLISHED}: its
 * record goes into DNS while the old key still signs. {@code activate} makes it sign and retires the
 * domain's earlier key of the same algorithm, which stays in DNS until mail signed with it has arrived.
 */
public final class DkimKeys {

    public enum State { PUBLISHED, ACTIVE, RETIRED;

        String column() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One key as listed (no private part). */
    public record Entry(String domain, String selector, DkimAlgorithm algorithm, PublicKey publicKey, State state, Instant created) {
        /** Where its record goes: {@code selector._domainkey.domain}. */
        public String dnsName() {
            return selector + "._domainkey." + domain;
        }

        /** The TXT record's text. */
        public String record() {
            return DkimKeyRecord.record(algorithm, publicKey);
        }
    }

    private final DataSource ds;
    private final RecentLookups<List<DkimSigner.SigningKey>> active = new RecentLookups<>();

    public DkimKeys(DataSource ds) {
        this.ds = ds;
    }

    /** A selector for a new key: {@code ms} + year and month + {@code r} (RSA) or {@code e} (Ed25519), e.g. ms202612r. */
    public static String defaultSelector(DkimAlgorithm alg, Instant now) {
        return "ms" + DateTimeFormatter.ofPattern("yyyyMM").withZone(ZoneOffset.UTC).format(now) + (alg == DkimAlgorithm.RSA_SHA256 ? "r" : "e");
    }

    /**
     * Generates and stores a key for {@code domain} under {@code selector}. It signs at once ({@code activate})
     * only when asked; otherwise it waits, published, for {@link #activate}.
     */
    public Entry generate(String domain, String selector, DkimAlgorithm alg, boolean activate, MasterKey mk)
            throws SQLException, GeneralSecurityException {
        String d = domain.toLowerCase(Locale.ROOT).strip();
        if (!d.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
            throw new IllegalArgumentException("--domain: not a domain name: " + domain);
        }
        if (!selector.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?") || selector.length() > 63) {
            throw new IllegalArgumentException("--selector: letters, digits and inner hyphens only: " + selector);
        }
        KeyPairGenerator g;
        if (alg == DkimAlgorithm.RSA_SHA256) {
            g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
        } else {
            g = KeyPairGenerator.getInstance("Ed25519");
        }
        KeyPair kp = g.generateKeyPair();
        String name = selector + "._domainkey." + d;
        Instant now = Instant.now();
        byte[] pkcs8 = kp.getPrivate().getEncoded();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO dkim_keys(name, domain, selector, algorithm, public_key, sealed_key, state, created_at) VALUES (?,?,?,?,?,?,?,?)")) {
                    ps.setString(1, name);
                    ps.setString(2, d);
                    ps.setString(3, selector);
                    ps.setString(4, alg.tag());
                    ps.setBytes(5, kp.getPublic().getEncoded());
                    ps.setBytes(6, mk.seal(pkcs8, name.getBytes(StandardCharsets.UTF_8)));
                    ps.setString(7, State.PUBLISHED.column());
                    ps.setTimestamp(8, Timestamp.from(now));
                    ps.executeUpdate();
                } catch (SQLException e) {
                    if (list(d).stream().anyMatch(x -> x.selector().equals(selector))) {
                        throw new IllegalArgumentException("--selector: " + d + " already has a key under " + selector);
                    }
                    throw e;
                }
                if (activate) {
                    activate(c, d, selector, alg);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
        active.forget(d);
        return new Entry(d, selector, alg, kp.getPublic(), activate ? State.ACTIVE : State.PUBLISHED, now);
    }

    /** Makes {@code selector}'s key sign for {@code domain}; the domain's active key of the same algorithm retires. */
    public Entry activate(String domain, String selector) throws SQLException {
        String d = domain.toLowerCase(Locale.ROOT).strip();
        Entry e = list(d).stream().filter(x -> x.selector().equals(selector)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--selector: " + d + " has no key under " + selector));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                activate(c, d, selector, e.algorithm());
                c.commit();
            } catch (SQLException | RuntimeException x) {
                c.rollback();
                throw x;
            } finally {
                c.setAutoCommit(true);
            }
        }
        active.forget(d);
        return new Entry(e.domain(), e.selector(), e.algorithm(), e.publicKey(), State.ACTIVE, e.created());
    }

    private static void activate(Connection c, String domain, String selector, DkimAlgorithm alg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE dkim_keys SET state = ? WHERE domain = ? AND algorithm = ? AND state = ? AND selector <> ?")) {
            ps.setString(1, State.RETIRED.column());
            ps.setString(2, domain);
            ps.setString(3, alg.tag());
            ps.setString(4, State.ACTIVE.column());
            ps.setString(5, selector);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE dkim_keys SET state = ? WHERE domain = ? AND selector = ?")) {
            ps.setString(1, State.ACTIVE.column());
            ps.setString(2, domain);
            ps.setString(3, selector);
            ps.executeUpdate();
        }
    }

    /** Deletes a key that no longer signs (retired or never activated). */
    public boolean delete(String domain, String selector) throws SQLException {
        String d = domain.toLowerCase(Locale.ROOT).strip();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM dkim_keys WHERE domain = ? AND selector = ? AND state <> ?")) {
            ps.setString(1, d);
            ps.setString(2, selector);
            ps.setString(3, State.ACTIVE.column());
            return ps.executeUpdate() == 1;
        } finally {
            active.forget(d);
        }
    }

    /** The keys of {@code domain} (null: every domain), by domain, then newest first. */
    public List<Entry> list(String domain) throws SQLException {
        List<Entry> out = new ArrayList<>();
        String sql = "SELECT domain, selector, algorithm, public_key, state, created_at FROM dkim_keys"
                + (domain != null ? " WHERE domain = ?" : "") + " ORDER BY domain, created_at DESC, selector";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (domain != null) {
                ps.setString(1, domain.toLowerCase(Locale.ROOT).strip());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    DkimAlgorithm alg = algorithm(rs.getString(3));
                    out.add(new Entry(rs.getString(1), rs.getString(2), alg, publicKey(alg, rs.getBytes(4)),
                            State.valueOf(rs.getString(5).toUpperCase(Locale.ROOT)), rs.getTimestamp(6).toInstant()));
                }
            }
        }
        return out;
    }

    /** The keys that sign for {@code domain} now (remembered a second; a change here forgets it at once). */
    public List<DkimSigner.SigningKey> signingKeys(String domain, MasterKey mk) throws SQLException, KeyStoreException {
        String d = domain.toLowerCase(Locale.ROOT);
        List<DkimSigner.SigningKey> known = active.recent(d);
        if (known != null) {
            return known;
        }
        List<DkimSigner.SigningKey> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT name, selector, algorithm, sealed_key FROM dkim_keys WHERE domain = ? AND state = ? ORDER BY algorithm DESC")) {
            ps.setString(1, d);
            ps.setString(2, State.ACTIVE.column());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    DkimAlgorithm alg = algorithm(rs.getString(3));
                    byte[] pkcs8 = mk.open(rs.getBytes(4), rs.getString(1).getBytes(StandardCharsets.UTF_8));
                    try {
                        PrivateKey k = KeyFactory.getInstance(alg == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519")
                                .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
                        out.add(new DkimSigner.SigningKey(d, rs.getString(2), alg, k));
                    } catch (GeneralSecurityException e) {
                        throw new KeyStoreException("DKIM key " + rs.getString(1) + " is unusable: " + e.getMessage());
                    } finally {
                        Arrays.fill(pkcs8, (byte) 0);
                    }
                }
            }
        }
        return active.remember(d, List.copyOf(out));
    }

    private static DkimAlgorithm algorithm(String tag) {
        for (DkimAlgorithm a : DkimAlgorithm.values()) {
            if (a.tag().equals(tag)) {
                return a;
            }
        }
        throw new IllegalStateException("unknown DKIM algorithm in the store: " + tag);
    }

    private static PublicKey publicKey(DkimAlgorithm alg, byte[] spki) {
        try {
            return KeyFactory.getInstance(alg == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unusable DKIM public key in the store", e);
        }
    }
}
