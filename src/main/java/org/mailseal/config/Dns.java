package org.mailseal.config;

import java.time.Duration;
import java.util.List;

/**
 * The one DNS resolver every lookup goes through (MX, DKIM keys, and what later issues add). {@code servers}:
 * recursive resolvers to ask (empty: {@code relay.dnsServers}, and when that is empty too, the system's
 * {@code /etc/resolv.conf}); {@code timeout}: how long one lookup may take before it counts as a temporary
 * error (never as "no record").
 */
public record Dns(List<HostPort> servers, Duration timeout) {
    public Dns {
        servers = servers != null ? List.copyOf(servers) : List.of();
        timeout = timeout != null ? timeout : Duration.ofSeconds(5);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("dns.timeout: must be positive");
        }
    }
}
