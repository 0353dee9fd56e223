package org.mailseal.mailauth.dkim;

/** The signing algorithms mailseal signs and verifies with: rsa-sha256 (RFC 6376 §3.3.1, RFC 8301) and ed25519-sha256 (RFC 8463). */
public enum DkimAlgorithm {
    RSA_SHA256("rsa-sha256", "rsa"),
    ED25519_SHA256("ed25519-sha256", "ed25519");

    private final String tag;
    private final String keyType;

    DkimAlgorithm(String tag, String keyType) {
        this.tag = tag;
        this.keyType = keyType;
    }

    /** The {@code a=} value. */
    public String tag() {
        return tag;
    }

    /** The key record's {@code k=} value. */
    public String keyType() {
        return keyType;
    }

    /** The algorithm named by {@code a=}; rsa-sha1 is refused (RFC 8301 §3.1: verifiers must not accept it). */
    public static DkimAlgorithm of(String a) throws DkimException {
        for (DkimAlgorithm x : values()) {
            if (x.tag.equalsIgnoreCase(a)) {
                return x;
            }
        }
        throw new DkimException(a != null && a.equalsIgnoreCase("rsa-sha1") ? "rsa-sha1 is not accepted (RFC 8301)" : "unknown algorithm " + a);
    }

    public static DkimAlgorithm byKeyType(String k) {
        for (DkimAlgorithm x : values()) {
            if (x.keyType.equalsIgnoreCase(k)) {
                return x;
            }
        }
        throw new IllegalArgumentException("unknown DKIM key type '" + k + "' (rsa or ed25519)");
    }

    /** The keys a {@code generate} makes: {@code rsa}, {@code ed25519}, or {@code both} (the default, null). */
    public static java.util.List<DkimAlgorithm> choice(String which) {
        return switch (which == null ? "both" : which) {
            case "both" -> java.util.List.of(RSA_SHA256, ED25519_SHA256);
            case "rsa" -> java.util.List.of(RSA_SHA256);
            case "ed25519" -> java.util.List.of(ED25519_SHA256);
            default -> throw new IllegalArgumentException("algorithm: rsa, ed25519 or both (got '" + which + "')");
        };
    }
}
