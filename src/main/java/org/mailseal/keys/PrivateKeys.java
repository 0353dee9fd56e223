package org.mailseal.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Counts the private keys the store holds (OpenPGP secret keys, S/MIME keys, the CA key): an encrypt-only install must hold none. */
public final class PrivateKeys {

    private PrivateKeys() {
    }

    /** Records sealed under the master key (private keys not in a token, and IMAP passwords). */
    public static long sealed(DataSource ds) throws SQLException {
        long n = 0;
        try (Connection c = ds.getConnection()) {
            for (String sql : new String[] {"SELECT COUNT(*) FROM pgp_secret_keys", "SELECT COUNT(*) FROM smime_private_keys",
                    "SELECT COUNT(*) FROM imap_credentials"}) {
                try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT sealed_key FROM ca"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byte[] k = rs.getBytes(1);
                    n += k != null && k.length > 0 ? 1 : 0;
                }
            }
        }
        return n;
    }

    public static long count(DataSource ds) throws SQLException {
        long n = 0;
        try (Connection c = ds.getConnection()) {
            for (String table : new String[] {"pgp_secret_keys", "smime_private_keys", "ca"}) {
                try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }
}
