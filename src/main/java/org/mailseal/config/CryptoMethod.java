package org.mailseal.config;

import java.util.Locale;

/** The policy settings {@code method} (ANY allowed), {@code preferredMethod} and {@code generateMethod}. */
public enum CryptoMethod {
    ANY, OPENPGP, SMIME;

    /** {@code key}'s value; ANY only where {@code anyAllowed}. The error names the key and the choices. */
    public static CryptoMethod parse(String key, String s, boolean anyAllowed) {
        for (CryptoMethod m : values()) {
            if ((anyAllowed || m != ANY) && m.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException(key + " must be " + (anyAllowed ? "any, " : "") + "openpgp, smime (got '" + s + "')");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
