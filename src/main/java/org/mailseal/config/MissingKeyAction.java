package org.mailseal.config;

import java.util.Locale;

/** What to do when encryption is mandatory and the recipient has no usable key. */
public enum MissingKeyAction {
    /** 4xx: the sender retries (until a key is imported). */
    TEMPFAIL,
    /** 5xx. */
    REJECT,
    /** Deliver unencrypted (an explicit admin choice). */
    DELIVER,
    /** Generate a gateway-managed key for the user and encrypt to it. */
    GENERATE;

    public static MissingKeyAction parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("onMissingKey must be tempfail, reject, deliver or generate (got '" + s + "')");
        }
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
