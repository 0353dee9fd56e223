package org.mailseal.backup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The store's tables as portable JSON, one table at a time, streamed: the same dump loads into H2 or
 * PostgreSQL. A table is {@code {"table": name, "columns": [[name, JDBC type], ...]}} followed by one array per
 * row; binary values are base64, timestamps ISO-8601 UTC. Flyway's own history is not dumped: the restore
 * migrates the new store to the dump's schema version first.
 */
final class TableDump {

    private static final JsonFactory JSON = new JsonFactory();

    private TableDump() {
    }

    /** The tables of the current schema, each after the tables its foreign keys point to. */
    static List<String> tables(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        Map<String, Set<String>> refs = new LinkedHashMap<>();
        try (ResultSet rs = md.getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                String t = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (!t.equals("flyway_schema_history")) {
                    refs.put(t, new LinkedHashSet<>());
                }
            }
        }
        for (String t : refs.keySet()) {
            for (String name : new String[] {t, t.toUpperCase(Locale.ROOT)}) {
                try (ResultSet rs = md.getImportedKeys(null, c.getSchema(), name)) {
                    while (rs.next()) {
                        String to = rs.getString("PKTABLE_NAME").toLowerCase(Locale.ROOT);
                        if (!to.equals(t)) {
                            refs.get(t).add(to);
                        }
                    }
                }
            }
        }
        List<String> order = new ArrayList<>();
        while (order.size() < refs.size()) {
            boolean progress = false;
            for (Map.Entry<String, Set<String>> e : refs.entrySet()) {
                if (!order.contains(e.getKey()) && order.containsAll(e.getValue().stream().filter(refs::containsKey).toList())) {
                    order.add(e.getKey());
                    progress = true;
                }
            }
            if (!progress) {
                throw new SQLException("foreign keys form a cycle among " + refs.keySet());
            }
        }
        return order;
    }

    /** Writes {@code table}; returns the number of rows. */
    static long dump(Connection c, String table, OutputStream out) throws SQLException, IOException {
        long rows = 0;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table);
             JsonGenerator g = JSON.createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            g.writeStartObject();
            g.writeStringField("table", table);
            g.writeArrayFieldStart("columns");
            for (int i = 1; i <= n; i++) {
                g.writeStartArray();
                g.writeString(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
                g.writeNumber(kind(md.getColumnType(i)));
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("rows");
            while (rs.next()) {
                g.writeStartArray();
                for (int i = 1; i <= n; i++) {
                    switch (kind(md.getColumnType(i))) {
                        case Types.BINARY -> {
                            byte[] b = rs.getBytes(i);
                            if (b == null) {
                                g.writeNull();
                            } else {
                                g.writeString(Base64.getEncoder().encodeToString(b));
                            }
                        }
                        case Types.TIMESTAMP -> {
                            Timestamp t = rs.getTimestamp(i);
                            if (t == null) {
                                g.writeNull();
                            } else {
                                g.writeString(t.toInstant().toString());
                            }
                        }
                        case Types.BIGINT -> {
                            long v = rs.getLong(i);
                            if (rs.wasNull()) {
                                g.writeNull();
                            } else {
                                g.writeNumber(v);
                            }
                        }
                        case Types.BOOLEAN -> {
                            boolean v = rs.getBoolean(i);
                            if (rs.wasNull()) {
                                g.writeNull();
                            } else {
                                g.writeBoolean(v);
                            }
                        }
                        default -> g.writeString(rs.getString(i));
                    }
                }
                g.writeEndArray();
                rows++;
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return rows;
    }

    /** The few kinds of value the store uses. */
    private static int kind(int jdbcType) {
        return switch (jdbcType) {
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> Types.BINARY;
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE, Types.DATE -> Types.TIMESTAMP;
            case Types.INTEGER, Types.BIGINT, Types.SMALLINT, Types.TINYINT, Types.NUMERIC, Types.DECIMAL -> Types.BIGINT;
            case Types.BOOLEAN, Types.BIT -> Types.BOOLEAN;
            default -> Types.VARCHAR;
        };
    }

    /** Loads one dumped table into {@code c} (in the caller's transaction); returns the table and its row count. */
    static Map.Entry<String, Long> load(Connection c, InputStream in, boolean apply) throws SQLException, IOException {
        try (JsonParser p = JSON.createParser(in)) {
            p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
            expect(p.nextToken(), JsonToken.START_OBJECT);
            expectField(p, "table");
            String table = p.nextTextValue();
            if (table == null || !table.matches("[a-z_][a-z0-9_]*")) {
                throw new IOException("backup: bad table name");
            }
            expectField(p, "columns");
            expect(p.nextToken(), JsonToken.START_ARRAY);
            List<String> names = new ArrayList<>();
            List<Integer> kinds = new ArrayList<>();
            while (p.nextToken() == JsonToken.START_ARRAY) {
                String name = p.nextTextValue();
                if (name == null || !name.matches("[a-z_][a-z0-9_]*")) {
                    throw new IOException("backup: bad column name in " + table);
                }
                names.add(name);
                p.nextToken();
                kinds.add(p.getIntValue());
                expect(p.nextToken(), JsonToken.END_ARRAY);
            }
            expectField(p, "rows");
            expect(p.nextToken(), JsonToken.START_ARRAY);
            String sql = "INSERT INTO " + table + " (" + String.join(", ", names) + ") VALUES (" + "?, ".repeat(names.size() - 1) + "?)";
            long rows = 0;
            try (PreparedStatement ps = apply ? c.prepareStatement(sql) : null) {
                while (p.nextToken() == JsonToken.START_ARRAY) {
                    for (int i = 0; i < names.size(); i++) {
                        JsonToken t = p.nextToken();
                        Object v = t == JsonToken.VALUE_NULL ? null : switch (kinds.get(i)) {
                            case Types.BINARY -> Base64.getDecoder().decode(p.getText());
                            case Types.TIMESTAMP -> Timestamp.from(Instant.parse(p.getText()));
                            case Types.BIGINT -> p.getLongValue();
                            case Types.BOOLEAN -> p.getBooleanValue();
                            default -> p.getText();
                        };
                        if (ps != null) {
                            if (v == null) {
                                ps.setNull(i + 1, kinds.get(i) == Types.BINARY ? Types.VARBINARY : kinds.get(i));
                            } else {
                                ps.setObject(i + 1, v);
                            }
                        }
                    }
                    expect(p.nextToken(), JsonToken.END_ARRAY);
                    if (ps != null) {
                        ps.addBatch();
                        if (++rows % 500 == 0) {
                            ps.executeBatch();
                        }
                    } else {
                        rows++;
                    }
                }
                if (ps != null) {
                    ps.executeBatch();
                }
            }
            return Map.entry(table, rows);
        }
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("backup: damaged table dump (expected " + want + ", got " + got + ")");
        }
    }

    private static void expectField(JsonParser p, String name) throws IOException {
        expect(p.nextToken(), JsonToken.FIELD_NAME);
        if (!name.equals(p.getCurrentName())) {
            throw new IOException("backup: damaged table dump (expected '" + name + "')");
        }
    }
}
