package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Quarantined mail, sealed at rest, one self-describing file per entry, deleted after {@code retention}.
 * {@code dir}: where the entries live (default {@code <dataDir>/quarantine}). In a cluster, point every node
 * at the same shared directory (NFS or the like): each entry is one encrypted file written with an atomic
 * rename, so nodes do not step on each other, any node can list and release every entry, and the retention
 * purge then runs on one node at a time.
 */
public record QuarantineSettings(Duration retention, Path dir) {
    public QuarantineSettings {
        retention = retention != null ? retention : Duration.ofDays(30);
        Checks.requirePositive("retention", retention.toMillis());
    }

    /** The entries' directory for a node whose data dir is {@code dataDir}. */
    public Path dirIn(Path dataDir) {
        return dir != null ? dir : dataDir.resolve("quarantine");
    }

    /** Whether the nodes share one quarantine (a configured directory). */
    public boolean shared() {
        return dir != null;
    }
}
