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
        return firstSeen(digest, null);
    }

    /** As {@link #firstSeen(byte[])}, claimed by transaction {@code queueId} (see {@link #release}). */
    public boolean firstSeen(byte[] digest, String queueId) throws SQLException {
        String hex = HexFormat.of().formatHex(digest);
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement purge = c.prepareStatement("DELETE FROM seen_signatures WHERE seen_at < ?")) {
                purge.setTimestamp(1, Timestamp.from(Instant.now().minus(keep)));
                purge.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO seen_signatures (digest, seen_at, queue_id) VALUES (?, ?, ?)")) {
                ps.setString(1, hex);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.setString(3, queueId);
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

    /**
     * Forgets the signatures transaction {@code queueId} claimed: it ended deferred (4xx), the client
     * will send the same message again, and that retry must not be refused as a replay. Where some
     * recipients were already accepted, the retry duplicates them; a duplicate is preferred to a loss.
     */
    public void release(String queueId) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM seen_signatures WHERE queue_id = ?")) {
            ps.setString(1, queueId);
            ps.executeUpdate();
        }
    }
}
