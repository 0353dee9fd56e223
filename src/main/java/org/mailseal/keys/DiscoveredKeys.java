package org.mailseal.keys;

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

/**
 * Keys found for outbound recipients outside the store, with their source ({@code keys discovered}), and the
 * pins of the {@code pinned} policy: the first key seen for an address is kept; a different one is only
 * recorded as offered, and is used once the admin accepts it ({@code keys pin-accept}).
 */
public final class DiscoveredKeys {

    /** One discovered key: {@code kind} openpgp or smime. */
    public record Entry(String email, String kind, String fingerprint, String source, byte[] keyData, Instant seen) {
    }

    /** A pin, with the key offered instead of it, if any. */
    public record Pin(String email, String fingerprint, String source, Instant pinned, String offeredFingerprint, String offeredSource,
                      Instant offeredAt) {
    }

    /** What a pin says of a key. */
    public enum Verdict { PINNED_NOW, MATCHES, CHANGED }

    private final DataSource ds;

    public DiscoveredKeys(DataSource ds) {
        this.ds = ds;
    }

    public void remember(Entry e) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement d = c.prepareStatement("DELETE FROM discovered_keys WHERE email = ? AND kind = ?")) {
                d.setString(1, e.email());
                d.setString(2, e.kind());
                d.executeUpdate();
            }
            try (PreparedStatement i = c.prepareStatement(
                    "INSERT INTO discovered_keys (email, kind, fingerprint, source, key_data, seen_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                i.setString(1, e.email());
                i.setString(2, e.kind());
                i.setString(3, e.fingerprint());
                i.setString(4, cut(e.source()));
                i.setBytes(5, e.keyData());
                i.setTimestamp(6, Timestamp.from(e.seen()));
                i.executeUpdate();
            }
            c.commit();
        }
    }

    public List<Entry> list() throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT email, kind, fingerprint, source, key_data, seen_at FROM discovered_keys ORDER BY email, kind");
             ResultSet r = q.executeQuery()) {
            while (r.next()) {
                out.add(new Entry(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getBytes(5), r.getTimestamp(6).toInstant()));
            }
        }
        return out;
    }

    /** The latest key seen for {@code email} of {@code kind}. */
    public Optional<Entry> latest(String email, String kind) throws SQLException {
        return list(email).stream().filter(e -> e.kind().equals(kind)).findFirst();
    }

    private List<Entry> list(String email) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT email, kind, fingerprint, source, key_data, seen_at FROM discovered_keys WHERE email = ?")) {
            q.setString(1, email);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    out.add(new Entry(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getBytes(5), r.getTimestamp(6).toInstant()));
                }
            }
        }
        return out;
    }

    /**
     * Checks {@code fingerprint} against the pin for {@code email}: pins it when there is none yet; when it
     * differs, records it as offered (for the admin) and says CHANGED.
     */
    public synchronized Verdict pin(String email, String fingerprint, String source) throws SQLException {
        Optional<Pin> p = pinOf(email);
        try (Connection c = ds.getConnection()) {
            if (p.isEmpty()) {
                try (PreparedStatement i = c.prepareStatement("INSERT INTO key_pins (email, fingerprint, source, pinned_at) VALUES (?, ?, ?, ?)")) {
                    i.setString(1, email);
                    i.setString(2, fingerprint);
                    i.setString(3, cut(source));
                    i.setTimestamp(4, Timestamp.from(Instant.now()));
                    i.executeUpdate();
                }
                return Verdict.PINNED_NOW;
            }
            if (p.get().fingerprint().equals(fingerprint)) {
                return Verdict.MATCHES;
            }
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE key_pins SET offered_fingerprint = ?, offered_source = ?, offered_at = ? WHERE email = ?")) {
                u.setString(1, fingerprint);
                u.setString(2, cut(source));
                u.setTimestamp(3, Timestamp.from(Instant.now()));
                u.setString(4, email);
                u.executeUpdate();
            }
            return Verdict.CHANGED;
        }
    }

    public Optional<Pin> pinOf(String email) throws SQLException {
        return pins().stream().filter(p -> p.email().equals(email)).findFirst();
    }

    public List<Pin> pins() throws SQLException {
        List<Pin> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT email, fingerprint, source, pinned_at, offered_fingerprint, offered_source, offered_at"
                     + " FROM key_pins ORDER BY email");
             ResultSet r = q.executeQuery()) {
            while (r.next()) {
                Timestamp off = r.getTimestamp(7);
                out.add(new Pin(r.getString(1), r.getString(2), r.getString(3), r.getTimestamp(4).toInstant(), r.getString(5), r.getString(6),
                        off == null ? null : off.toInstant()));
            }
        }
        return out;
    }

    /** The admin accepts the key offered for {@code email}: it becomes the pin. False when none is offered. */
    public synchronized boolean acceptOffered(String email) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement u = c.prepareStatement("UPDATE key_pins SET fingerprint = offered_fingerprint, source = offered_source,"
                     + " pinned_at = offered_at, offered_fingerprint = NULL, offered_source = NULL, offered_at = NULL"
                     + " WHERE email = ? AND offered_fingerprint IS NOT NULL")) {
            u.setString(1, email);
            return u.executeUpdate() == 1;
        }
    }

    /** Forgets discovered keys not seen since {@code before} (pins stay); returns how many. */
    public int purge(Instant before) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement d = c.prepareStatement("DELETE FROM discovered_keys WHERE seen_at < ?")) {
            d.setTimestamp(1, Timestamp.from(before));
            return d.executeUpdate();
        }
    }

    /** Forgets the pin for {@code email}: the next key seen is pinned. */
    public boolean unpin(String email) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement d = c.prepareStatement("DELETE FROM key_pins WHERE email = ?")) {
            d.setString(1, email);
            return d.executeUpdate() == 1;
        }
    }

    private static String cut(String s) {
        return s.length() > 600 ? s.substring(0, 600) : s;
    }
}
