package org.mailseal.config;

import java.util.List;

/**
 * The policy settings and their allowed values (global {@code policy:}, {@code domains.policies.*}, and
 * {@code mailseal policy set}): checked when the configuration is read, with the key named. How they
 * combine is the policy package's business ({@code policy.PolicyResolver}).
 */
public final class PolicyValues {

    private PolicyValues() {
    }

    public static final List<String> SETTINGS = List.of("encrypt", "onMissingKey", "subjectPlaceholder", "method", "preferredMethod",
            "generateMethod", "smimeCipher", "sign", "generateFor", "outerHeaders", "pdf");

    private static void oneOf(String key, String value, String... allowed) {
        if (!List.of(allowed).contains(value)) {
            throw new IllegalArgumentException(key + " must be " + String.join(", ", allowed) + " (got '" + value + "')");
        }
    }

    /** Checks a {@code KEY=VALUE} setting; throws with a clear message naming the key. */
    public static void validate(String key, String value) {
        switch (key) {
            case "encrypt" -> EncryptMode.parse(value);
            case "onMissingKey" -> MissingKeyAction.parse(value);
            case "method" -> CryptoMethod.parse(key, value, true);
            case "preferredMethod", "generateMethod" -> CryptoMethod.parse(key, value, false);
            case "smimeCipher" -> oneOf(key, value, "aes256-cbc", "aes256-gcm");
            case "pdf" -> oneOf(key, value, "fallback", "never", "force");
            case "sign" -> SignMethod.parse(value);
            case "generateFor" -> GenerateFor.parse(value);
            case "outerHeaders" -> {
                if (!value.equals("minimal") && !value.matches("[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*")) {
                    throw new IllegalArgumentException("outerHeaders must be minimal or a comma-separated list of field names kept outside"
                            + " besides the minimal set (got '" + value + "')");
                }
            }
            case "subjectPlaceholder" -> {
                if (value.isEmpty() || value.contains("\r") || value.contains("\n")) {
                    throw new IllegalArgumentException("subjectPlaceholder must be one non-empty line");
                }
            }
            default -> throw new IllegalArgumentException("unknown policy setting '" + key + "' (" + String.join(", ", SETTINGS) + ")");
        }
    }
}
