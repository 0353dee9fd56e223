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
