package org.mailseal.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * One-time reply links for PDF mail: a token bound to one message and one recipient, valid for a set
 * time, used once. The database keeps only the token's SHA-256, so a copy of the store opens no form.
 */
public final class ReplyTokens {

    /** What a token stands for. */
    public record Link(String recipient, String sender, String subject, String messageId) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final DataSource ds;

    public ReplyTokens(DataSource ds) {
        this.ds = ds;
    }

    /** A new token for {@code link}, valid for {@code validity}. */
    public String create(Link link, Duration validity) throws SQLException {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO pdf_reply_tokens(token_hash, recipient, sender, subject, message_id, expires_at)"
                     + " VALUES (?,?,?,?,?,?)")) {
            ps.setString(1, hash(token));
            ps.setString(2, link.recipient());
            ps.setString(3, link.sender());
            ps.setString(4, cut(link.subject(), 1000));
            ps.setString(5, cut(link.messageId(), 1000));
            ps.setTimestamp(6, Timestamp.from(Instant.now().plus(validity)));
            ps.executeUpdate();
        }
        return token;
    }

    /** The link of a token that is known, unused and not expired. */
    public Optional<Link> valid(String token) throws SQLException {
        if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
            return Optional.empty();
        }
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT recipient, sender, subject, message_id FROM pdf_reply_tokens"
                     + " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")) {
            ps.setString(1, hash(token));
            ps.setTimestamp(2, Timestamp.from(Instant.now()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Link(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))) : Optional.empty();
            }
        }
    }

    /** Uses the token: true for exactly one caller, and only while it is valid. */
    public boolean use(String token) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE pdf_reply_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")) {
            Timestamp now = Timestamp.from(Instant.now());
            ps.setTimestamp(1, now);
            ps.setString(2, hash(token));
            ps.setTimestamp(3, now);
            return ps.executeUpdate() == 1;
        }
    }

    /** Makes a used token usable again (the reply could not be handed on: the recipient may try again). */
    public void release(String token) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE pdf_reply_tokens SET used_at = NULL WHERE token_hash = ?")) {
            ps.setString(1, hash(token));
            ps.executeUpdate();
        }
    }

    /** Deletes tokens that expired before {@code before}; returns how many. */
    public int purge(Instant before) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM pdf_reply_tokens WHERE expires_at < ?")) {
            ps.setTimestamp(1, Timestamp.from(before));
            return ps.executeUpdate();
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cut(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
    }
}
