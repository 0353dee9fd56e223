package org.mailseal.scan;

import java.time.Duration;
import java.util.List;

/**
 * One scanner's answer. {@code FAILED} means "not scanned" (down, timeout, over its size limit,
 * protocol error): never clean.
 *
 * @param detail  the virus name, or the failure reason
 * @param action  rspamd's action ({@code reject}, {@code soft reject}, {@code add header}, {@code rewrite subject}), or null
 */
public record Verdict(String scanner, Kind kind, String detail, Double score, Double required, List<String> symbols, String action,
                      Duration took) {

    public enum Kind { CLEAN, VIRUS, SPAM, FAILED }

    public Verdict {
        symbols = symbols != null ? List.copyOf(symbols) : List.of();
    }

    public static Verdict failed(String scanner, String reason, Duration took) {
        return new Verdict(scanner, Kind.FAILED, reason, null, null, List.of(), null, took);
    }

    /** For the log: {@code clamd=VIRUS(Eicar)}, {@code spamd=SPAM(1003.7/5.0)}... */
    public String summary() {
        String d = switch (kind) {
            case VIRUS, FAILED -> detail;
            case SPAM, CLEAN -> score != null ? score + "/" + required + (action != null ? " " + action : "") : null;
        };
        return scanner + "=" + kind + (d != null ? "(" + d + ")" : "") + " in " + took.toMillis() + "ms";
    }
}
