package org.mailseal.config;

/** The policy setting {@code sign}: how the gateway signs a local user's outbound mail. */
public enum SignMethod {
    NONE, OPENPGP, SMIME;

    public static SignMethod parse(String s) {
        return Checks.choice(SignMethod.class, "sign", s);
    }
}
