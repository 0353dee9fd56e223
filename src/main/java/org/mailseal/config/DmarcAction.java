package org.mailseal.config;

import java.util.Locale;

/** What inbound mail that fails DMARC (RFC 7489) gets, per recipient domain. */
public enum DmarcAction {
    /** Only the verdict in Authentication-Results (the default): the mailbox provider decides. */
    TAG,
    /** Quarantined when the sender's policy is p=quarantine or p=reject. */
    QUARANTINE,
    /** Refused (550 5.7.1) under p=reject, quarantined under p=quarantine. */
    REJECT;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static DmarcAction parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown DMARC action '" + s + "' (tag, quarantine, reject)");
        }
    }
}
