package org.mailseal.auth;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.mailseal.mail.Address;

/**
 * The addresses a sender owns besides its own (aliases): the From of its decrypted outbound mail may be
 * any of them. Keyed by the sender identity (the SASL user, or the envelope sender from a trusted network).
 */
public final class SenderAddresses {

    private final DataSource ds;

    public SenderAddresses(DataSource ds) {
        this.ds = ds;
    }

    public boolean add(String sender, String address) throws SQLException {
        if (owns(sender, address)) {
            return false;
        }
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO user_addresses(sender, address) VALUES (?,?)")) {
            ps.setString(1, Address.normalise(sender.trim()));
            ps.setString(2, Address.normalise(address.trim()));
            ps.executeUpdate();
            return true;
        }
    }

    public boolean remove(String sender, String address) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM user_addresses WHERE sender = ? AND address = ?")) {
            ps.setString(1, Address.normalise(sender.trim()));
            ps.setString(2, Address.normalise(address.trim()));
            return ps.executeUpdate() > 0;
        }
    }

    public List<String> of(String sender) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT address FROM user_addresses WHERE sender = ? ORDER BY address")) {
            ps.setString(1, Address.normalise(sender.trim()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** True if {@code address} is the sender itself or one of its addresses. */
    public boolean owns(String sender, String address) throws SQLException {
        String a = Address.normalise(address.trim());
        return a.equals(Address.normalise(sender.trim())) || of(sender).contains(a);
    }

    /** True if {@code address} is registered to any user. */
    public boolean isRegistered(String address) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM user_addresses WHERE address = ?")) {
            ps.setString(1, Address.normalise(address.trim()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
