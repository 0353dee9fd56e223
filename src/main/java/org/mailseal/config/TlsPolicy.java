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
    VERIFY;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static TlsPolicy parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown TLS policy '" + s + "' (none, may, encrypt, verify)");
        }
    }
}
