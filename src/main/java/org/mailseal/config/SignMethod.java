package org.mailseal.config;

/** The policy setting {@code sign}: how the gateway signs a local user's outbound mail. */
public enum SignMethod {
    NONE, OPENPGP, SMIME;

    public static SignMethod parse(String s) {
        for (SignMethod m : values()) {
            if (m.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("sign must be none, openpgp, smime (got '" + s + "')");
    }
}
