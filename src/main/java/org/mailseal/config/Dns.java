package org.mailseal.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The one DNS resolver every lookup goes through (MX, DKIM keys, WKD hosts, TLSA, OPENPGPKEY, SMIMEA,
 * MTA-STS). {@code servers}: recursive resolvers to ask (empty: {@code relay.dnsServers}, and when that is
 * empty too, the system's {@code /etc/resolv.conf}); {@code timeout}: how long one lookup may take before it
 * counts as a temporary error (never as "no record").
 *
 * <p>{@code dnssec}: validate answers here (RFC 4035 §5), whatever the upstream says; needed for DANE and
 * for keys from OPENPGPKEY/SMIMEA records, which are used only when secure. The chain starts at
 * {@code trustAnchors} (DS or DNSKEY records in zone-file form), by default the root zone's KSK. The
 * upstream must pass DNSSEC records through (any validating or non-validating recursive resolver does). A
 * bogus answer is a temporary error: mail waits, it never goes to an address an attacker forged.
 */
public record Dns(List<HostPort> servers, Duration timeout, Boolean dnssec, Path trustAnchors) {
    public Dns {
        servers = servers != null ? List.copyOf(servers) : List.of();
        timeout = timeout != null ? timeout : Duration.ofSeconds(5);
        dnssec = dnssec != null ? dnssec : trustAnchors != null;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("dns.timeout: must be positive");
        }
        if (trustAnchors != null && !Files.isReadable(trustAnchors)) {
            throw new IllegalArgumentException("dns.trustAnchors: cannot read " + trustAnchors);
        }
        if (trustAnchors != null && !dnssec) {
            throw new IllegalArgumentException("dns.trustAnchors: given, but dns.dnssec is false");
        }
    }

    public Dns(List<HostPort> servers, Duration timeout) {
        this(servers, timeout, false, null);
    }

    /** The same resolver settings with other servers. */
    public Dns withServers(List<HostPort> other) {
        return new Dns(other, timeout, dnssec, trustAnchors);
    }
}
