package org.mailseal.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.sql.DataSource;

/**
 * Signatures already accepted on relay-key messages, kept in the database so that a replay is caught
 * across restarts and cluster nodes. A signature older than the window is refused anyway, so entries
 * are kept for twice the window and then purged.
 */
public final class ReplayCache {

    private final DataSource ds;
    private final Duration keep;

    public ReplayCache(DataSource ds, Duration window) {
        this.ds = ds;
        this.keep = window.multipliedBy(2);
    }

    /**
     * Records {@code digest}; false if it was already there (a replay). The primary key makes this
     * atomic: of two concurrent copies, one insert fails.
     */
    public boolean firstSeen(byte[] digest) throws SQLException {
        String hex = HexFormat.of().formatHex(digest);
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement purge = c.prepareStatement("DELETE FROM seen_signatures WHERE seen_at < ?")) {
                purge.setTimestamp(1, Timestamp.from(Instant.now().minus(keep)));
                purge.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO seen_signatures (digest, seen_at) VALUES (?, ?)")) {
                ps.setString(1, hex);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith("23")) { // integrity constraint: seen before
                    return false;
                }
                throw e;
            }
        }
    }
}
