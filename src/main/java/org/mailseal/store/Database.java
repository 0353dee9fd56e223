package org.mailseal.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.mailseal.config.MailsealConfig;

/**
 * The JDBC store: an embedded H2 file in the data dir by default, or PostgreSQL from a JDBC URL.
 * The schema is migrated by Flyway at open.
 */
public final class Database implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Database.class);

    private final HikariDataSource ds;

    private String binary;

    private Database(HikariDataSource ds) {
        this.ds = ds;
    }

    /** Writes the embedded store's changes to disk now (H2 {@code CHECKPOINT SYNC}); nothing for PostgreSQL. */
    public void checkpoint() throws java.sql.SQLException {
        if (binary != null && binary.equals("VARBINARY")) {
            try (java.sql.Connection c = ds.getConnection(); java.sql.Statement s = c.createStatement()) {
                s.execute("CHECKPOINT SYNC");
            }
        }
    }

    /** Applies every migration not applied yet. */
    public void migrate() {
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").placeholders(java.util.Map.of("binary", binary)).load().migrate();
    }

    /** The schema version applied (the newest successful migration), e.g. "13". */
    public String schemaVersion() {
        var current = Flyway.configure().dataSource(ds).locations("classpath:db/migration").placeholders(java.util.Map.of("binary", binary))
                .load().info().current();
        return current == null ? null : current.getVersion().getVersion();
    }

    public static Database open(MailsealConfig config) throws IOException {
        return open(config, null);
    }

    /**
     * Opens the store with its schema migrated up to {@code target} only (a Flyway version such as "12"; null:
     * the newest), for a restore that loads rows written under an older schema; {@link #migrate()} finishes.
     */
    public static Database open(MailsealConfig config, String target) throws IOException {
        org.mailseal.config.Database db = config.database();
        String url = db.url();
        String h2Password = null;
        if (url == null) {
            DataDir.secure(config.dataDir().toAbsolutePath());
            Path dir = DataDir.secure(config.dataDir().toAbsolutePath().resolve("db"));
            // AUTO_SERVER: the running gateway holds the file; the CLI (keys, certs, users, policy) then
            // reaches the same database over H2's TCP server, bound to loopback only.
            System.setProperty("h2.bindAddress", "127.0.0.1");
            url = "jdbc:h2:file:" + dir.resolve("mailseal") + ";AUTO_SERVER=TRUE";
            // That port is open to local users, so the database has a password, kept beside it (0600):
            // whoever can read the data dir can connect, nobody else.
            h2Password = h2Password(dir);
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        if (h2Password != null) {
            hc.setUsername("mailseal");
            hc.setPassword(h2Password);
        }
        if (db.user() != null) {
            hc.setUsername(db.user());
        }
        if (db.passwordFile() != null) {
            hc.setPassword(Files.readString(db.passwordFile()).strip());
        }
        hc.setMaximumPoolSize(8);
        hc.setPoolName("mailseal-db");
        boolean embedded = db.url() == null;
        for (int attempt = 1; ; attempt++) {
            HikariDataSource ds = null;
            try {
                ds = new HikariDataSource(hc);
                if (embedded) {
                    DataDir.secureFiles(config.dataDir().toAbsolutePath().resolve("db")); // the H2 files: 0600
                }
                // Column types that differ between the back ends.
                String binary = url.startsWith("jdbc:postgresql:") ? "BYTEA" : "VARBINARY";
                var flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                        .placeholders(java.util.Map.of("binary", binary));
                if (target != null) {
                    flyway.target(target);
                }
                flyway.load().migrate();
                Database opened = new Database(ds);
                opened.binary = binary;
                return opened;
            } catch (RuntimeException e) {
                if (ds != null) {
                    ds.close();
                }
                if (!embedded || attempt == OPEN_ATTEMPTS || !h2StoreFault(e)) {
                    throw e;
                }
                // H2 2.5's recovery after a kill -9 now and then fails its first write ("MVStoreException:
                // NullPointerException: Cannot read field time" in FileStore.serializeAndStore) and a later open
                // of the same file succeeds: the chunks it drops depend on the time since the file was written.
                log.warn("database: the embedded store did not open (attempt {} of {}), trying again in {} s: {}",
                        attempt, OPEN_ATTEMPTS, OPEN_RETRY.toSeconds(), org.mailseal.logging.LogSafe.text(rootMessage(e)), e);
                try {
                    Thread.sleep(OPEN_RETRY.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static final int OPEN_ATTEMPTS = 3;
    static final java.time.Duration OPEN_RETRY = java.time.Duration.ofSeconds(2);

    /** An error of H2's storage layer (MVStore), as opposed to a wrong password, a lock or a bad migration. */
    static boolean h2StoreFault(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getName().startsWith("org.h2.mvstore.") || String.valueOf(t.getMessage()).contains("MVStoreException")) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static String h2Password(Path dir) throws IOException {
        Path f = dir.resolve("h2.pass");
        if (!Files.exists(f)) {
            byte[] raw = new byte[24];
            new java.security.SecureRandom().nextBytes(raw);
            Path tmp = Files.createTempFile(dir, "h2", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not POSIX
            }
            Files.writeString(tmp, java.util.HexFormat.of().formatHex(raw));
            try {
                Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                Files.deleteIfExists(tmp);
            }
        }
        return Files.readString(f).strip();
    }

    public DataSource dataSource() {
        return ds;
    }

    @Override
    public void close() {
        ds.close();
    }
}
