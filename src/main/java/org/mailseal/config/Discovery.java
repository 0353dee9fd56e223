package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Finding keys for outbound recipients without one in the store. {@code wkd} (default on): ask the
 * recipient domain's Web Key Directory (advanced method, then direct when {@code openpgpkey.<domain>} does
 * not exist; never after a timeout); {@code timeout}: per lookup; {@code trustAnchors}: PEM file of CAs
 * trusted for WKD servers besides the JDK's; {@code wkdPort}: 443 (another port only for test labs).
 * {@code order}: the sources asked, in turn, after the store (default wkd, openpgpkey, smimea; the DNS ones
 * only with {@code dns.dnssec}); {@code keyservers} ({@code vks:https://...}, {@code hkp:https://...}) and
 * {@code ldap} are off until listed there. A found key is kept for {@code cacheFor} and, when a later lookup fails,
 * used up to {@code staleFor} (also after a restart: found keys are stored with their source):
 * a failed lookup is never "no key".
 */
public record Discovery(Boolean wkd, Duration timeout, Path trustAnchors, Integer wkdPort, Duration cacheFor, Duration staleFor,
                        java.util.List<String> order, java.util.List<String> keyservers, LdapDiscovery ldap) {
    /** The sources there are; the default order is the first three (the others need their settings). */
    public static final java.util.List<String> SOURCES = java.util.List.of("wkd", "openpgpkey", "smimea", "keyservers", "ldap");

    public Discovery {
        wkd = wkd == null || wkd;
        keyservers = keyservers != null ? java.util.List.copyOf(keyservers) : java.util.List.of();
        for (String k : keyservers) {
            if (!k.matches("(vks|hkp):https://[^\\s]+")) {
                throw new IllegalArgumentException("discovery.keyservers: '" + k + "' must be vks:https://... or hkp:https://...");
            }
        }
        order = order != null ? java.util.List.copyOf(order) : SOURCES.subList(0, 3);
        if (order.contains("keyservers") && keyservers.isEmpty()) {
            throw new IllegalArgumentException("discovery.order: keyservers listed, but discovery.keyservers is empty");
        }
        if (order.contains("ldap") && ldap == null) {
            throw new IllegalArgumentException("discovery.order: ldap listed, but discovery.ldap is not set");
        }
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
