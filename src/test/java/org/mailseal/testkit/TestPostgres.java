package org.mailseal.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The CI's PostgreSQL (found through MAILSEAL_TEST_PG_URL / _USER / _PASSWORD, set by .ci/postgres-setup): a
 * schema of the suite's own, emptied first, so suites in the two test JVMs never share tables. Missing:
 * skipped, or failed under MAILSEAL_REQUIRE_PEERS=1.
 */
public final class TestPostgres {

    private TestPostgres() {
    }

    /** Resets {@code schema} and returns the {@code database:} config line for it (the password file goes in {@code dir}). */
    public static String schema(String schema, Path dir) throws Exception {
        String url = System.getenv("MAILSEAL_TEST_PG_URL");
        if (url == null) {
            String msg = "PostgreSQL not configured: install the Debian package 'postgresql' and run .ci/postgres-setup (sets MAILSEAL_TEST_PG_URL)";
            if (Peers.required()) {
                Assertions.fail(msg + " -- required under CI");
            }
            Assumptions.abort(msg);
        }
        String user = System.getenv("MAILSEAL_TEST_PG_USER");
        String password = System.getenv("MAILSEAL_TEST_PG_PASSWORD");
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            s.execute("CREATE SCHEMA " + schema);
        }
        Path pw = dir.resolve("db-" + schema + ".pass");
        Files.writeString(pw, password + "\n");
        String at = schema.equals("public") ? url : url + "?currentSchema=" + schema;
        return "database: {url: \"" + at + "\", user: " + user + ", passwordFile: \"" + pw + "\"}";
    }
}
