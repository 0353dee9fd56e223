package org.mailseal.config;

import java.time.Duration;
import java.util.Locale;

/** Parses durations ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}) and sizes ({@code 512}, {@code 64KiB}, {@code 50MiB}). */
public final class Durations {
    private Durations() {
    }

    public static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            char unit = s.charAt(s.length() - 1);
            String num = s.substring(0, s.length() - 1).trim();
            Duration d = switch (unit) {
                case 's' -> Duration.ofSeconds(Long.parseLong(num));
                case 'm' -> Duration.ofMinutes(Long.parseLong(num));
                case 'h' -> Duration.ofHours(Long.parseLong(num));
                case 'd' -> Duration.ofDays(Long.parseLong(num));
                default -> Duration.ofSeconds(Long.parseLong(s));
            };
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative duration '" + text + "'");
            }
            return d;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("bad duration '" + text + "' (use e.g. 500ms, 30s, 5m, 1h)");
        }
    }

    public static long parseSize(String text) {
        String s = text.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        long mult = 1;
        String num = lower;
        String[][] units = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"},
            {"kb", "1000"}, {"mb", "1000000"}, {"gb", "1000000000"}, {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"}, {"b", "1"}};
        for (String[] u : units) {
            if (lower.endsWith(u[0])) {
                mult = Long.parseLong(u[1]);
                num = lower.substring(0, lower.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            long v = Long.parseLong(num);
            if (v < 0) {
                throw new IllegalArgumentException("negative size '" + text + "'");
            }
            return Math.multiplyExact(v, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("bad size '" + text + "' (use e.g. 1048576, 512KiB, 50MiB)");
        }
    }
}
