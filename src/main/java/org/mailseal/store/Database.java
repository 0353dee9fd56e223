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
        MailsealConfig.Database db = config.database();
        String url = db.url();
        if (url == null) {
            Path dir = config.dataDir().toAbsolutePath().resolve("db");
            Files.createDirectories(dir);
            url = "jdbc:h2:file:" + dir.resolve("mailseal") + ";DB_CLOSE_ON_EXIT=FALSE";
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        if (db.user() != null) {
            hc.setUsername(db.user());
        }
        if (db.passwordFile() != null) {
            hc.setPassword(Files.readString(db.passwordFile()).strip());
        }
        hc.setMaximumPoolSize(8);
        hc.setPoolName("mailseal-db");
        HikariDataSource ds = new HikariDataSource(hc);
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

    public DataSource dataSource() {
        return ds;
    }

    @Override
    public void close() {
        ds.close();
    }
}
