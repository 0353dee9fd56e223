package org.mailseal.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Outbound mail (from local users to elsewhere). {@code relayKeyLocalPart}: the local part of each
 * domain's relay key address ({@code mailseal-relay@<domain>}); {@code signatureWindow}: how far a
 * relay-key message's signature time may be from now; {@code encrypt}: {@code opportunistic} (encrypt
 * when the recipient's key or certificate is known), {@code mandatory}, {@code pinned} (mandatory, and a key
 * discovered for an address is pinned at first sight: a different key later is refused until the admin
 * accepts it, {@code keys pin-accept}) or {@code never}, by default and per recipient domain
 * ({@code recipientDomains}).
 */
public record Outbound(String relayKeyLocalPart, Duration signatureWindow, String encrypt, Map<String, String> recipientDomains) {
    public Outbound {
        relayKeyLocalPart = relayKeyLocalPart != null ? relayKeyLocalPart : "mailseal-relay";
        signatureWindow = signatureWindow != null ? signatureWindow : Duration.ofHours(2);
        encrypt = encrypt != null ? encrypt : "opportunistic";
        recipientDomains = recipientDomains != null ? Map.copyOf(recipientDomains) : Map.of();
        if (!relayKeyLocalPart.matches("[A-Za-z0-9._+-]+")) {
            throw new IllegalArgumentException("relayKeyLocalPart must be a plain local part");
        }
        Checks.requirePositive("signatureWindow", signatureWindow.toSeconds());
        checkEncrypt("encrypt", encrypt);
        recipientDomains.forEach((d, v) -> checkEncrypt("recipientDomains." + d, v));
    }

    private static void checkEncrypt(String key, String v) {
        if (!List.of("opportunistic", "mandatory", "pinned", "never").contains(v)) {
            throw new IllegalArgumentException(key + " must be opportunistic, mandatory, pinned or never (got '" + v + "')");
        }
    }

    /** The relay key address of {@code domain}. */
    public String relayAddress(String domain) {
        return relayKeyLocalPart + "@" + domain.toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code opportunistic}, {@code mandatory}, {@code pinned} or {@code never} for a recipient domain. */
    public String encryptFor(String domain) {
        return recipientDomains.getOrDefault(domain.toLowerCase(java.util.Locale.ROOT), encrypt);
    }
}
