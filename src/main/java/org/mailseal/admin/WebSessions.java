package org.mailseal.admin;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Web sessions, in the store (so any node of a cluster serves any session). The cookie holds 32 random
 * bytes; the store keeps only their SHA-256, so a read of the database does not hand out live sessions. A
 * session gets a new id at login (no fixation), carries its own CSRF token, and ends after
 * {@code web.sessionIdle} without use, at logout, or when its user is deleted.
 */
public final class WebSessions {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new session: the cookie value and the viewer it stands for. */
    public record Created(String cookie, Viewer viewer) {
    }

    private final DataSource ds;
    private final Duration idle;

    public WebSessions(DataSource ds, Duration idle) {
        this.ds = ds;
        this.idle = idle;
    }

    static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String hash(String cookie) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cookie.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Created create(String username, boolean admin) throws SQLException {
        String cookie = random();
        String csrf = random();
        Instant now = Instant.now();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO web_sessions (id_hash, username, admin, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, hash(cookie));
            ps.setString(2, username);
            ps.setBoolean(3, admin);
            ps.setString(4, csrf);
            ps.setTimestamp(5, Timestamp.from(now));
            ps.setTimestamp(6, Timestamp.from(now));
            ps.executeUpdate();
        }
        return new Created(cookie, new Viewer(username, admin, csrf));
    }

    /** The live session for {@code cookie}, its idle clock restarted; empty when unknown or idle too long. */
    public Optional<Viewer> find(String cookie) throws SQLException {
        if (cookie == null || !cookie.matches("[A-Za-z0-9_-]{43}")) {
            return Optional.empty();
        }
        String id = hash(cookie);
        Instant now = Instant.now();
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM web_sessions WHERE last_seen < ?")) {
                d.setTimestamp(1, Timestamp.from(now.minus(idle)));
                d.executeUpdate();
            }
            Viewer v;
            try (PreparedStatement q = c.prepareStatement("SELECT username, admin, csrf FROM web_sessions WHERE id_hash = ?")) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    v = new Viewer(rs.getString(1), rs.getBoolean(2), rs.getString(3));
                }
            }
            try (PreparedStatement u = c.prepareStatement("UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?")) {
                u.setTimestamp(1, Timestamp.from(now));
                u.setString(2, id);
                u.executeUpdate();
            }
            return Optional.of(v);
        }
    }

    public void end(String cookie) throws SQLException {
        if (cookie == null) {
            return;
        }
        try (Connection c = ds.getConnection(); PreparedStatement d = c.prepareStatement("DELETE FROM web_sessions WHERE id_hash = ?")) {
            d.setString(1, hash(cookie));
            d.executeUpdate();
        }
    }

    /** Ends every session of {@code username} (deleted, or password changed). */
    public void endAll(String username) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement d = c.prepareStatement("DELETE FROM web_sessions WHERE username = ?")) {
            d.setString(1, username);
            d.executeUpdate();
        }
    }
}
