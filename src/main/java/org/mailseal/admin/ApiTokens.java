package org.mailseal.admin;

import java.security.MessageDigest;
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
 * API tokens for the REST API: {@code ms_<id>_<secret>}, shown once when made; the store keeps the id and the
 * SHA-256 of the secret, so a read of the database yields no usable token. A token acts with admin rights
 * under its name (the audit log says which), until revoked; revocation takes effect at the next request.
 */
public final class ApiTokens {

    /** One token as listed (never its secret). */
    public record Token(String id, String name, String createdBy, Instant created, Instant revoked) {
    }

    private final DataSource ds;

    public ApiTokens(DataSource ds) {
        this.ds = ds;
    }

    /** Makes a token; returns its full text (the only time it is seen). */
    public String create(String name, String createdBy) throws SQLException {
        String id = WebSessions.random().substring(0, 16).replace('-', 'x').replace('_', 'y');
        String secret = WebSessions.random();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO api_tokens (id, secret_hash, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, WebSessions.hash(secret));
            ps.setString(3, name.length() > 200 ? name.substring(0, 200) : name);
            ps.setString(4, createdBy);
            ps.setTimestamp(5, Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
        return "ms_" + id + "_" + secret;
    }

    /** The token's name when {@code presented} is a live token. */
    public Optional<String> check(String presented) throws SQLException {
        if (presented == null || !presented.matches("ms_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}")) {
            return Optional.empty();
        }
        String id = presented.substring(3, 19);
        String secret = presented.substring(20);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT secret_hash, name FROM api_tokens WHERE id = ? AND revoked_at IS NULL")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && MessageDigest.isEqual(rs.getString(1).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        WebSessions.hash(secret).getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                    return Optional.of(rs.getString(2));
                }
            }
        }
        return Optional.empty();
    }

    public boolean revoke(String id) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now()));
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
        }
    }

    public List<Token> list() throws SQLException {
        List<Token> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id, name, created_by, created_at, revoked_at FROM api_tokens ORDER BY created_at");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Timestamp r = rs.getTimestamp(5);
                out.add(new Token(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(), r == null ? null : r.toInstant()));
            }
        }
        return out;
    }
}
