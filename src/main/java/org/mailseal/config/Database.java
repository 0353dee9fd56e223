package org.mailseal.config;

import java.nio.file.Path;

/** The store: an H2 file in the data dir unless a JDBC URL (e.g. PostgreSQL) is given. */
public record Database(String url, String user, Path passwordFile) {
    public Database {
        if (url != null && !url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("only jdbc:h2: and jdbc:postgresql: URLs are supported");
        }
    }
}
