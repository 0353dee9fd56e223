package org.mailseal.keys;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.mail.Address;

/** Each recipient's secret for derived PDF passwords (32 random bytes), sealed under the master key, made on first use. */
public final class PdfSecrets {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final DataSource ds;

    public PdfSecrets(DataSource ds) {
        this.ds = ds;
    }

    /** The recipient's secret, made and stored now if it has none (a concurrent first use keeps the one stored first). */
    public byte[] secretFor(String email, MasterKey mk) throws SQLException, KeyStoreException {
        Optional<byte[]> known = find(email, mk);
        if (known.isPresent()) {
            return known.get();
        }
        String e = Address.normalise(email.strip());
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO pdf_secrets(email, sealed_secret, created_at) VALUES (?,?,?)")) {
            ps.setString(1, e);
            ps.setBytes(2, mk.seal(secret, e.getBytes(StandardCharsets.UTF_8)));
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            ps.executeUpdate();
            return secret;
        } catch (SQLException duplicate) {
            return find(email, mk).orElseThrow(() -> duplicate);
        }
    }

    public Optional<byte[]> find(String email, MasterKey mk) throws SQLException, KeyStoreException {
        String e = Address.normalise(email.strip());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT sealed_secret FROM pdf_secrets WHERE email = ?")) {
            ps.setString(1, e);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(mk.open(rs.getBytes(1), e.getBytes(StandardCharsets.UTF_8))) : Optional.empty();
            }
        }
    }
}
