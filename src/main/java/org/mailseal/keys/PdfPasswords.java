package org.mailseal.keys;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import javax.sql.DataSource;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.mail.Address;

/**
 * Each outbound recipient's PDF password (set by the admin or the sender, told to the recipient once),
 * sealed under the master key with the address as associated data, so a row moved to another address
 * does not open.
 */
public final class PdfPasswords {

    private final DataSource ds;
    /** Whether an address has a password is asked for every keyless outbound recipient: answers are kept a second. */
    private final RecentLookups<Boolean> known = new RecentLookups<>();

    public PdfPasswords(DataSource ds) {
        this.ds = ds;
    }

    /** Sets or replaces the password; returns true if one was replaced. */
    public boolean put(String email, char[] password, MasterKey mk) throws SQLException {
        String e = Address.normalise(email.strip());
        byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
        byte[] sealed = mk.seal(pw, e.getBytes(StandardCharsets.UTF_8));
        Arrays.fill(pw, (byte) 0);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM pdf_passwords WHERE email = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO pdf_passwords(email, sealed_password, updated_at) VALUES (?,?,?)")) {
                del.setString(1, e);
                boolean replaced = del.executeUpdate() > 0;
                ins.setString(1, e);
                ins.setBytes(2, sealed);
                ins.setTimestamp(3, Timestamp.from(Instant.now()));
                ins.executeUpdate();
                c.commit();
                known.forget(e);
                return replaced;
            } catch (SQLException ex) {
                c.rollback();
                throw ex;
            }
        }
    }

    /** The password, to be wiped by the caller after use. */
    public Optional<char[]> get(String email, MasterKey mk) throws SQLException, KeyStoreException {
        String e = Address.normalise(email.strip());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT sealed_password FROM pdf_passwords WHERE email = ?")) {
            ps.setString(1, e);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                byte[] pw = mk.open(rs.getBytes(1), e.getBytes(StandardCharsets.UTF_8));
                try {
                    return Optional.of(new String(pw, StandardCharsets.UTF_8).toCharArray());
                } finally {
                    Arrays.fill(pw, (byte) 0);
                }
            }
        }
    }

    /** Whether {@code email} has a password; a change made by another process shows within a second. */
    public boolean has(String email) throws SQLException {
        String e = Address.normalise(email.strip());
        Boolean recent = known.recent(e);
        if (recent != null) {
            return recent;
        }
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pdf_passwords WHERE email = ?")) {
            ps.setString(1, e);
            try (ResultSet rs = ps.executeQuery()) {
                return known.remember(e, rs.next());
            }
        }
    }

    public boolean delete(String email) throws SQLException {
        String e = Address.normalise(email.strip());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM pdf_passwords WHERE email = ?")) {
            ps.setString(1, e);
            boolean deleted = ps.executeUpdate() > 0;
            known.forget(e);
            return deleted;
        }
    }
}
