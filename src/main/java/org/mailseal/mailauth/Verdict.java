package org.mailseal.mailauth;

import java.util.Locale;

/** A method's result in {@code Authentication-Results} (RFC 8601 §2.7.1 for DKIM, §2.7.2 SPF, RFC 7489 §11.2 DMARC). */
public enum Verdict {
    NONE, PASS, FAIL, SOFTFAIL, NEUTRAL, POLICY, TEMPERROR, PERMERROR;

    /** The keyword as written in the field. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
