package org.mailseal.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;

/**
 * Upgrades in place: a store left at any earlier schema version (each one a mailseal that stopped there)
 * migrates forward to the current one at the next start, on H2 and on PostgreSQL.
 */
class UpgradeTest {

    @TempDir
    Path dir;

    static List<String> versions() throws Exception {
        List<String> v = new ArrayList<>();
        try (Stream<String> names = new java.io.BufferedReader(new java.io.InputStreamReader(
                UpgradeTest.class.getResourceAsStream("/db/migration/"), java.nio.charset.StandardCharsets.UTF_8)).lines()) {
            names.map(n -> n.replaceFirst("^V(\\d+)__.*", "$1")).filter(n -> n.matches("\\d+")).forEach(v::add);
        }
        v.sort(java.util.Comparator.comparingInt(Integer::parseInt));
        return v;
    }

    static Stream<Arguments> cases() throws Exception {
        List<String> v = versions();
        assertThat(v).as("the migrations on the class path").hasSizeGreaterThan(10);
        List<Arguments> out = new ArrayList<>();
        for (String backend : List.of("h2", "postgresql")) {
            for (String from : v.subList(0, v.size() - 1)) {
                out.add(Arguments.of(backend, from));
            }
        }
        return out.stream();
    }

    String database(String backend) throws Exception {
        return backend.equals("h2") ? "database: {}" : org.mailseal.testkit.TestPostgres.schema("upgrade_test", dir);
    }

    @ParameterizedTest(name = "{0} from V{1}")
    @MethodSource("cases")
    void aStoreAtAnEarlierVersionMigratesToTheCurrentOne(String backend, String from) throws Exception {
        MailsealConfig cfg = ConfigLoader.parse("t", "dataDir: " + dir.resolve("data") + "\n" + database(backend) + "\n");
        try (Database old = Database.open(cfg, from)) {
            assertThat(old.schemaVersion()).isEqualTo(from);
            try (Connection c = old.dataSource().getConnection()) {
                // a row the first schema already had: it must survive every later migration
                c.createStatement().executeUpdate("INSERT INTO users (username, password_hash, created_at, updated_at) VALUES "
                        + "('a@example.com', '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
            }
        }
        List<String> all = versions();
        try (Database now = Database.open(cfg)) {
            assertThat(now.schemaVersion()).isEqualTo(all.get(all.size() - 1));
            try (Connection c = now.dataSource().getConnection();
                 var rs = c.createStatement().executeQuery("SELECT password_hash FROM users WHERE username = 'a@example.com'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).startsWith("$argon2id$");
            }
        }
    }
}
