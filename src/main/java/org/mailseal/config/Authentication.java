package org.mailseal.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Mail authentication around the encryption.
 * <ul>
 * <li>{@code verifyInbound} (default on): inbound mail's SPF (RFC 7208), DKIM signatures (RFC 6376) and
 * DMARC (RFC 7489) are checked while the message is readable, and the verdicts go into an
 * {@code Authentication-Results} field (RFC 8601) that is encrypted with the message;</li>
 * <li>{@code dmarc}: what mail failing DMARC gets: {@code tag} (default), {@code quarantine} or
 * {@code reject} (see {@link DmarcAction});</li>
 * <li>{@code learnAutocrypt} (default on): Autocrypt keys are learned, and only from mail whose From domain
 * passed DMARC;</li>
 * <li>{@code domains}: per recipient domain, {@code dmarc} and {@code learnAutocrypt} overrides;</li>
 * <li>{@code signOutbound} (default on): outbound mail is DKIM-signed, as the last change made to it, with
 * the active keys of its From domain ({@code mailseal dkim generate}); a domain without a key leaves
 * unsigned;</li>
 * <li>{@code arcSeal} (default on): inbound mail the gateway changed (encrypted) gets an ARC set (RFC 8617)
 * carrying the verdict from before the change, sealed with the recipient domain's RSA DKIM key; a domain
 * without one gets no seal;</li>
 * <li>{@code publicSuffixList}: the list for organizational domains (default: Debian's
 * {@code /usr/share/publicsuffix}, else the copy in the jar).</li>
 * </ul>
 */
public record Authentication(Boolean verifyInbound, Boolean signOutbound, DmarcAction dmarc, Boolean learnAutocrypt,
                             Map<String, AuthDomain> domains, Path publicSuffixList, Boolean arcSeal) {
    public Authentication {
        verifyInbound = verifyInbound == null || verifyInbound;
        signOutbound = signOutbound == null || signOutbound;
        dmarc = dmarc != null ? dmarc : DmarcAction.TAG;
        learnAutocrypt = learnAutocrypt == null || learnAutocrypt;
        arcSeal = arcSeal == null || arcSeal;
        domains = domains != null ? Map.copyOf(Checks.lowerKeys(domains)) : Map.of();
        if (publicSuffixList != null && !java.nio.file.Files.isReadable(publicSuffixList)) {
            throw new IllegalArgumentException("authentication.publicSuffixList: cannot read " + publicSuffixList);
        }
    }

    /** The DMARC action for mail to {@code domain}. */
    public DmarcAction dmarcFor(String domain) {
        AuthDomain d = domains.get(domain.toLowerCase(java.util.Locale.ROOT));
        return d != null && d.dmarc() != null ? d.dmarc() : dmarc;
    }

    /** Whether keys are learned from Autocrypt headers of mail to {@code domain}. */
    public boolean learnAutocryptFor(String domain) {
        AuthDomain d = domains.get(domain.toLowerCase(java.util.Locale.ROOT));
        return d != null && d.learnAutocrypt() != null ? d.learnAutocrypt() : learnAutocrypt;
    }
}
