package org.mailseal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;

/** Row operations the stores share, written once for H2 and PostgreSQL alike. */
public final class Rows {

    private Rows() {
    }

    /**
     * Replaces the row of {@code table} whose {@code columns.get(0)} (the key) is {@code values[0]} by one with
     * {@code columns} = {@code values}, in one transaction (a DELETE then an INSERT: no MERGE/ON CONFLICT,
     * whose forms differ between the two back ends). Table and column names are the caller's constants.
     */
    public static void replace(DataSource ds, String table, List<String> columns, Object... values) throws SQLException {
        if (columns.size() != values.length) {
            throw new IllegalArgumentException("one value per column");
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " WHERE " + columns.get(0) + " = ?");
                    PreparedStatement ins = c.prepareStatement("INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES ("
                            + String.join(", ", Collections.nCopies(columns.size(), "?")) + ")")) {
                del.setObject(1, values[0]);
                del.executeUpdate();
                for (int i = 0; i < values.length; i++) {
                    ins.setObject(i + 1, values[i]);
                }
                ins.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
