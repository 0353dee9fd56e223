package org.mailseal.imap;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.keys.MasterKey;

/** Each user's login to the cloud IMAP server; the password is sealed under the master key (aad: the address). */
public final class ImapLogins {

    /** A login; {@code password} must be wiped by the caller after use. */
    public record Login(String login, char[] password) {
    }

    private final DataSource ds;

    public ImapLogins(DataSource ds) {
        this.ds = ds;
    }

    public void put(String email, String login, char[] password, MasterKey mk) throws SQLException {
        String e = normalise(email);
        byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
        byte[] sealed = mk.seal(pw, e.getBytes(StandardCharsets.UTF_8));
        java.util.Arrays.fill(pw, (byte) 0);
        org.mailseal.store.Rows.replace(ds, "imap_credentials", java.util.List.of("email", "login", "sealed_password", "updated_at"), e, login, sealed,
                Timestamp.from(Instant.now()));
    }

    public Optional<Login> get(String email, MasterKey mk) throws SQLException, KeyStoreException {
        String e = normalise(email);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT login, sealed_password FROM imap_credentials WHERE email = ?")) {
            ps.setString(1, e);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                byte[] pw = mk.open(rs.getBytes(2), e.getBytes(StandardCharsets.UTF_8));
                try {
                    return Optional.of(new Login(rs.getString(1), new String(pw, StandardCharsets.UTF_8).toCharArray()));
                } finally {
                    java.util.Arrays.fill(pw, (byte) 0);
                }
            }
        }
    }

    public boolean has(String email) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM imap_credentials WHERE email = ?")) {
            ps.setString(1, normalise(email));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public boolean delete(String email) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM imap_credentials WHERE email = ?")) {
            ps.setString(1, normalise(email));
            return ps.executeUpdate() > 0;
        }
    }

    static String normalise(String email) {
        return org.mailseal.mail.Address.normalise(email.trim());
    }
}
