package org.mailseal.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/** Which key in the PKCS#11 token belongs to which stored certificate (S/MIME, CA) or OpenPGP key, by fingerprint. */
public final class TokenKeys {

    /** What a token key is for. */
    public enum Kind { PGP, SMIME, CA }

    private final DataSource ds;

    public TokenKeys(DataSource ds) {
        this.ds = ds;
    }

    public void put(String fingerprint, Kind kind, String alias) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO token_keys(fingerprint, kind, alias, created_at) VALUES (?,?,?,?)")) {
            ps.setString(1, fingerprint);
            ps.setString(2, kind.name());
            ps.setString(3, alias);
            ps.setTimestamp(4, Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
    }

    public Optional<String> alias(String fingerprint) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT alias FROM token_keys WHERE fingerprint = ?")) {
            ps.setString(1, fingerprint);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }
}
