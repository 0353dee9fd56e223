package org.mailseal.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Scanning while the mail is readable (inbound before encryption, outbound after decryption): any of
 * clamd, spamd and rspamd, run in parallel within {@code budget}; {@code actions} say what a verdict
 * does, overridden per domain (the recipient's for inbound mail, the sender's for outbound).
 */
public record Scan(Clamd clamd, Spamd spamd, Rspamd rspamd, Duration budget, ScanActions actions, Map<String, ScanActions> domains) {
    public Scan {
        budget = budget != null ? budget : Duration.ofSeconds(60);
        actions = ScanActions.merge(actions, ScanActions.DEFAULT);
        ScanActions base = actions;
        domains = domains != null ? Map.copyOf(Checks.lowerKeys(domains)) : Map.of();
        domains = domains.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                e -> ScanActions.merge(e.getValue(), base)));
        Checks.requirePositive("budget", budget.toMillis());
    }

    public boolean any() {
        return clamd != null || spamd != null || rspamd != null;
    }

    /** The actions for mail whose policy domain is {@code domain}. */
    public ScanActions actionsFor(String domain) {
        return domains.getOrDefault(domain.toLowerCase(Locale.ROOT), actions);
    }
}
