package org.mailseal.config;

import java.time.Duration;

/** Quarantined mail (sealed at rest in {@code <dataDir>/quarantine}) is deleted after {@code retention}. */
public record QuarantineSettings(Duration retention) {
    public QuarantineSettings {
        retention = retention != null ? retention : Duration.ofDays(30);
        Checks.requirePositive("retention", retention.toMillis());
    }
}
