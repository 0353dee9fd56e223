package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Finding keys for outbound recipients without one in the store. {@code wkd} (default on): ask the
 * recipient domain's Web Key Directory (advanced method, then direct when {@code openpgpkey.<domain>} does
 * not exist; never after a timeout); {@code timeout}: per lookup; {@code trustAnchors}: PEM file of CAs
 * trusted for WKD servers besides the JDK's; {@code wkdPort}: 443 (another port only for test labs).
 * {@code order}: the sources asked, in turn, after the store (default wkd, openpgpkey, smimea; the DNS ones
 * only with {@code dns.dnssec}). A found key is kept for {@code cacheFor} and, when a later lookup fails,
 * used up to {@code staleFor} (also after a restart: found keys are stored with their source):
 * a failed lookup is never "no key".
 */
public record Discovery(Boolean wkd, Duration timeout, Path trustAnchors, Integer wkdPort, Duration cacheFor, Duration staleFor,
                        java.util.List<String> order) {
    /** The sources there are, in their default order. */
    public static final java.util.List<String> SOURCES = java.util.List.of("wkd", "openpgpkey", "smimea");

    public Discovery {
        wkd = wkd == null || wkd;
        order = order != null ? java.util.List.copyOf(order) : SOURCES;
        for (String o : order) {
            if (!SOURCES.contains(o)) {
                throw new IllegalArgumentException("discovery.order: unknown source '" + o + "' (" + String.join(", ", SOURCES) + ")");
            }
        }
        timeout = timeout != null ? timeout : Duration.ofSeconds(10);
        wkdPort = wkdPort != null ? wkdPort : 443;
        cacheFor = cacheFor != null ? cacheFor : Duration.ofHours(1);
        staleFor = staleFor != null ? staleFor : Duration.ofDays(7);
        Checks.requirePositive("discovery.timeout", timeout.toMillis());
        if (wkdPort < 1 || wkdPort > 65535) {
            throw new IllegalArgumentException("discovery.wkdPort: 1-65535");
        }
        if (trustAnchors != null && !java.nio.file.Files.isReadable(trustAnchors)) {
            throw new IllegalArgumentException("discovery.trustAnchors: cannot read " + trustAnchors);
        }
    }
}
