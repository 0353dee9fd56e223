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

    private final HikariDataSource ds;

    private Database(HikariDataSource ds) {
        this.ds = ds;
    }

    public static Database open(MailsealConfig config) throws IOException {
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
        HikariDataSource ds = new HikariDataSource(hc);
        if (db.url() == null) {
            DataDir.secureFiles(config.dataDir().toAbsolutePath().resolve("db")); // the H2 files: 0600
        }
        try {
            // Column types that differ between the back ends.
            String binary = url.startsWith("jdbc:postgresql:") ? "BYTEA" : "VARBINARY";
            Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                    .placeholders(java.util.Map.of("binary", binary)).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds);
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
