package org.mailseal.admin;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The audit log of changes made through the web and the API: in the store (shown in the UI) and one log line each. */
public final class Audit {

    private static final Logger log = LoggerFactory.getLogger("audit");

    /** One entry. */
    public record Entry(Instant at, String actor, String action, String target, String client) {
    }

    private final DataSource ds;

    public Audit(DataSource ds) {
        this.ds = ds;
    }

    public void record(String actor, String action, String target, String client) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO audit_log (at, actor, action, target, client) VALUES (?, ?, ?, ?, ?)")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now()));
            ps.setString(2, cut(actor, 320));
            ps.setString(3, cut(action, 100));
            ps.setString(4, cut(target, 600));
            ps.setString(5, cut(client, 100));
            ps.executeUpdate();
        }
        log.info("actor=<{}> action={} target=<{}> client=[{}]", actor, action, target, client);
    }

    public List<Entry> latest(int n) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT at, actor, action, target, client FROM audit_log ORDER BY id DESC")) {
            ps.setMaxRows(n);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Entry(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
        }
        return out;
    }

    private static String cut(String s, int n) {
        return s == null ? "" : s.length() > n ? s.substring(0, n) : s;
    }
}
