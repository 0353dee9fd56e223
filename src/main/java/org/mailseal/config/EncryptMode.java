package org.mailseal.config;

import java.util.Locale;

/** Whether inbound mail for a recipient is encrypted. */
public enum EncryptMode {
    /** Always; if that is impossible the mail is deferred or rejected, never delivered in plaintext. */
    MANDATORY,
    /** When a usable key exists; otherwise delivered as is. */
    OPPORTUNISTIC,
    /** Never. */
    NEVER;

    public static EncryptMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("encrypt must be mandatory, opportunistic or never (got '" + s + "')");
        }
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
