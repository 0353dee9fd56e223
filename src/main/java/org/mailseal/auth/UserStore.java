package org.mailseal.auth;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/** SMTP AUTH users, with Argon2id password hashes, in the JDBC store. */
public final class UserStore {

    private final DataSource ds;
    private final PasswordHasher hasher;
    // Verifying against this when the user is unknown keeps timing the same for both cases.
    private final String dummyHash;

    public UserStore(DataSource ds, PasswordHasher hasher) {
        this.ds = ds;
        this.hasher = hasher;
        this.dummyHash = hasher.hash("not a password");
    }

    public static String normalise(String user) {
        return user.trim().toLowerCase(Locale.ROOT);
    }

    /** Adds a user; false if it exists already. */
    public boolean add(String user, String password) throws SQLException {
        if (exists(user)) {
            return false;
        }
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO users(username, password_hash, created_at, updated_at) VALUES (?,?,?,?)")) {
            Timestamp now = Timestamp.from(Instant.now());
            ps.setString(1, normalise(user));
            ps.setString(2, hasher.hash(password));
            ps.setTimestamp(3, now);
            ps.setTimestamp(4, now);
            ps.executeUpdate();
            return true;
        }
    }

    /** Sets a new password; false if there is no such user. */
    public boolean setPassword(String user, String password) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?")) {
            ps.setString(1, hasher.hash(password));
            ps.setTimestamp(2, Timestamp.from(Instant.now()));
            ps.setString(3, normalise(user));
            return ps.executeUpdate() == 1;
        }
    }

    public boolean delete(String user) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM users WHERE username = ?")) {
            ps.setString(1, normalise(user));
            return ps.executeUpdate() == 1;
        }
    }

    public boolean exists(String user) throws SQLException {
        return hashOf(user) != null;
    }

    public List<String> list() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT username FROM users ORDER BY username");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * Checks a password (an unknown user costs the same time as a known one). A store error is thrown,
     * so the caller can answer with a temporary failure instead of "wrong password".
     */
    public boolean verify(String user, String password) throws SQLException {
        String h = hashOf(user);
        boolean ok = PasswordHasher.verify(password, h != null ? h : dummyHash);
        return ok && h != null;
    }

    private String hashOf(String user) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM users WHERE username = ?")) {
            ps.setString(1, normalise(user));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
