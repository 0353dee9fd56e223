package org.mailseal.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * For which recipients {@code onMissingKey: generate} may make a key: {@code users} (the default: only
 * addresses mailseal knows exist, i.e. users in the store and their registered addresses), {@code any}
 * (any plain address of the domain, the administrator's explicit choice), or a comma-separated list of
 * local-part patterns ({@code *} matches any run of characters), e.g. {@code info,sales-*}. Known users
 * always qualify.
 */
public record GenerateFor(boolean any, List<Pattern> patterns) {

    public static GenerateFor parse(String value) {
        String v = value.trim();
        if (v.equals("users")) {
            return new GenerateFor(false, List.of());
        }
        if (v.equals("any")) {
            return new GenerateFor(true, List.of());
        }
        if (!v.matches("[A-Za-z0-9._*+=-]+(,[A-Za-z0-9._*+=-]+)*")) {
            throw new IllegalArgumentException("generateFor must be users, any, or a comma-separated list of local-part patterns (got '" + value + "')");
        }
        List<Pattern> ps = java.util.Arrays.stream(v.split(","))
                .map(g -> Pattern.compile(Pattern.quote(g.toLowerCase(Locale.ROOT)).replace("*", "\\E.*\\Q")))
                .toList();
        return new GenerateFor(false, ps);
    }

    /** True if a key may be generated for {@code localPart} (normalised), given whether it is a known user. */
    public boolean allows(String localPart, boolean knownUser) {
        return knownUser || any || patterns.stream().anyMatch(p -> p.matcher(localPart.toLowerCase(Locale.ROOT)).matches());
    }
}
