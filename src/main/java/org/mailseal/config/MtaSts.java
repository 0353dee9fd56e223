package org.mailseal.config;

import java.time.Duration;
import java.util.List;

/**
 * The MTA-STS policy the local domains publish (RFC 8461 §3.2), served at
 * {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} by the {@code wkd:} HTTPS listener (its certificate
 * must name {@code mta-sts.<domain>}); {@code mailseal dns-records} prints the matching {@code _mta-sts} TXT
 * record. {@code mode}: enforce, testing or none (unset: nothing is published); {@code mx}: the MX host
 * names senders may deliver to (default: {@code hostname}); {@code maxAge}: how long senders keep the
 * policy (default 7 days; at most a year).
 */
public record MtaSts(String mode, List<String> mx, Duration maxAge) {
    public MtaSts {
        if (mode != null && !List.of("enforce", "testing", "none").contains(mode)) {
            throw new IllegalArgumentException("mtaSts.mode: enforce, testing or none (got '" + mode + "')");
        }
        mx = mx != null ? List.copyOf(mx) : List.of();
        maxAge = maxAge != null ? maxAge : Duration.ofDays(7);
        if (maxAge.isNegative() || maxAge.getSeconds() > 31_557_600L) {
            throw new IllegalArgumentException("mtaSts.maxAge: 0 to 365 days");
        }
    }

    public boolean published() {
        return mode != null;
    }
}
