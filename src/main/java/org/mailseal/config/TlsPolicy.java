package org.mailseal.config;

import java.util.Locale;

/** TLS policy towards a next hop. */
public enum TlsPolicy {
    /** Plain text, never STARTTLS. */
    NONE,
    /** STARTTLS if offered, certificate not checked. */
    MAY,
    /** STARTTLS required, certificate not checked. */
    ENCRYPT,
    /** STARTTLS required, certificate chain and host name verified. */
    VERIFY,
    /**
     * The recipient domain's MTA-STS policy (RFC 8461) where it publishes one: {@code enforce} means verified TLS to
     * an MX the policy names, or no delivery; otherwise as {@link #MAY}.
     */
    MTA_STS,
    /**
     * DANE (RFC 7672) where the MX host has DNSSEC-secure TLSA records: TLS that matches them, or no delivery;
     * otherwise as {@link #MTA_STS} (RFC 8461 §2: DANE first). Needs {@code dns.dnssec}.
     */
    DANE;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static TlsPolicy parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown TLS policy '" + s + "' (none, may, encrypt, verify, mta-sts, dane)");
        }
    }
}
