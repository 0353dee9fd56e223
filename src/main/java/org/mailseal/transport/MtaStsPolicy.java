package org.mailseal.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An MTA-STS policy (RFC 8461 §3.2): {@code version: STSv1}, {@code mode} (enforce, testing or none),
 * {@code max_age} (seconds, at most 31557600) and one or more {@code mx} patterns. Unknown fields are
 * ignored; a policy missing a required field is invalid (§3.2: then it is as if there were none).
 */
public record MtaStsPolicy(Mode mode, List<String> mx, Duration maxAge, String text) {

    public enum Mode { ENFORCE, TESTING, NONE }

    /** Parses a policy file; throws {@link IllegalArgumentException} with the reason when it is invalid. */
    public static MtaStsPolicy parse(String text) {
        String version = null;
        Mode mode = null;
        Long maxAge = null;
        List<String> mx = new ArrayList<>();
        for (String raw : text.split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("not a key: value line");
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "version" -> version = value;
                case "mode" -> mode = switch (value) {
                    case "enforce" -> Mode.ENFORCE;
                    case "testing" -> Mode.TESTING;
                    case "none" -> Mode.NONE;
                    default -> throw new IllegalArgumentException("unknown mode '" + value + "'");
                };
                case "max_age" -> {
                    if (!value.matches("[0-9]{1,10}") || Long.parseLong(value) > 31_557_600L) {
                        throw new IllegalArgumentException("bad max_age '" + value + "'");
                    }
                    maxAge = Long.parseLong(value);
                }
                case "mx" -> mx.add(value.toLowerCase(Locale.ROOT));
                default -> {
                    // §3.2: extension fields are ignored
                }
            }
        }
        if (!"STSv1".equals(version)) {
            throw new IllegalArgumentException("version is not STSv1");
        }
        if (mode == null || maxAge == null) {
            throw new IllegalArgumentException("mode or max_age missing");
        }
        if (mx.isEmpty() && mode != Mode.NONE) {
            throw new IllegalArgumentException("no mx pattern");
        }
        return new MtaStsPolicy(mode, List.copyOf(mx), Duration.ofSeconds(maxAge), text);
    }

    /**
     * Whether {@code host} is a valid MX for this policy (§4.1): equal to a pattern, or matching a
     * {@code *.} pattern in exactly its left-most label.
     */
    public boolean allows(String host) {
        String h = host.toLowerCase(Locale.ROOT).replaceAll("\\.$", "");
        for (String p : mx) {
            String pattern = p.replaceAll("\\.$", "");
            if (pattern.startsWith("*.")) {
                int dot = h.indexOf('.');
                if (dot > 0 && h.substring(dot).equals(pattern.substring(1))) {
                    return true;
                }
            } else if (h.equals(pattern)) {
                return true;
            }
        }
        return false;
    }

    /** The TXT record's id (RFC 8461 §3.1): {@code v=STSv1; id=<1-32 letters or digits>}, else null. */
    public static String txtId(String record) {
        String[] fields = record.split(";");
        if (!fields[0].strip().equals("v=STSv1")) {
            return null;
        }
        for (int i = 1; i < fields.length; i++) {
            String f = fields[i].strip();
            if (f.startsWith("id=") && f.substring(3).matches("[A-Za-z0-9]{1,32}")) {
                return f.substring(3);
            }
        }
        return null;
    }
}
