package org.mailseal.policy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.mailseal.mail.Address;

/** Per-user policy overrides in the store. */
public final class PolicyStore {

    private final DataSource ds;

    public PolicyStore(DataSource ds) {
        this.ds = ds;
    }

    public Map<String, String> get(String email) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT setting, setting_value FROM user_policy WHERE email = ?")) {
            ps.setString(1, Address.normalise(email));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Sets a value; a null value removes the override. */
    public void set(String email, String setting, String value) throws SQLException {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM user_policy WHERE email = ? AND setting = ?")) {
                del.setString(1, Address.normalise(email));
                del.setString(2, setting);
                del.executeUpdate();
            }
            if (value != null) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO user_policy(email, setting, setting_value) VALUES (?,?,?)")) {
                    ps.setString(1, Address.normalise(email));
                    ps.setString(2, setting);
                    ps.setString(3, value);
                    ps.executeUpdate();
                }
            }
        }
    }
}
