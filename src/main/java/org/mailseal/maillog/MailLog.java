package org.mailseal.maillog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.mailseal.logging.MailLogTap;

/**
 * The searchable mail log (table {@code mail_log}): the log lines about messages, written in batches from a
 * {@link MailLogTap.Taker} by the housekeeping, and searched by queue id, address or time. A search answers
 * with whole messages: every line of each queue id that matched, in order, as Postfix's log shows a
 * message's life.
 */
public final class MailLog {

    /** One line of a message's life. */
    public record Line(Instant at, String node, String text) {
    }

    /** One message: its queue id and its lines, oldest first. */
    public record Message(String queueId, List<Line> lines) {
    }

    /** What to look for; any part may be null. {@code text}: a queue id or any part of a line (an address). */
    public record Query(String text, Instant from, Instant to) {
    }

    private static final int MAX_MESSAGES = 100;

    private final DataSource ds;
    private final String node;

    public MailLog(DataSource ds, String node) {
        this.ds = ds;
        this.node = node.length() > 255 ? node.substring(0, 255) : node;
    }

    /** Writes what the taker holds; returns how many lines. */
    public int drain(MailLogTap.Taker taker) throws SQLException {
        int n = 0;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO mail_log (at, node, queue_id, line) VALUES (?, ?, ?, ?)")) {
            MailLogTap.Line l;
            while (n < 10_000 && (l = taker.poll()) != null) {
                ps.setTimestamp(1, Timestamp.from(l.at()));
                ps.setString(2, node);
                ps.setString(3, l.queueId());
                ps.setString(4, l.text());
                ps.addBatch();
                n++;
            }
            if (n > 0) {
                ps.executeBatch();
            }
        }
        return n;
    }

    public List<Message> search(Query q) throws SQLException {
        StringBuilder where = new StringBuilder(" WHERE 1=1");
        List<Object> args = new ArrayList<>();
        if (q.text() != null && !q.text().isBlank()) {
            String t = q.text().strip();
            if (t.matches("[0-9A-Fa-f]{12}")) {
                where.append(" AND queue_id = ?");
                args.add(t.toUpperCase(java.util.Locale.ROOT));
            } else {
                where.append(" AND LOWER(line) LIKE ? ESCAPE '!'");
                args.add("%" + t.toLowerCase(java.util.Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
            }
        }
        if (q.from() != null) {
            where.append(" AND at >= ?");
            args.add(Timestamp.from(q.from()));
        }
        if (q.to() != null) {
            where.append(" AND at <= ?");
            args.add(Timestamp.from(q.to()));
        }
        List<String> ids = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT queue_id, MAX(at) AS last FROM mail_log" + where + " GROUP BY queue_id ORDER BY last DESC")) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                ps.setMaxRows(MAX_MESSAGES);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            Map<String, List<Line>> lines = new LinkedHashMap<>();
            ids.forEach(id -> lines.put(id, new ArrayList<>()));
            try (PreparedStatement ps = c.prepareStatement("SELECT at, node, line FROM mail_log WHERE queue_id = ? ORDER BY at, id")) {
                for (String id : ids) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            lines.get(id).add(new Line(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getString(3)));
                        }
                    }
                }
            }
            return lines.entrySet().stream().map(e -> new Message(e.getKey(), List.copyOf(e.getValue()))).toList();
        }
    }

    /** Deletes lines older than {@code retention}; returns how many. */
    public int purge(Duration retention) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM mail_log WHERE at < ?")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now().minus(retention)));
            return ps.executeUpdate();
        }
    }
}
