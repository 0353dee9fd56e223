package org.mailseal.config;

/**
 * Mail authentication around the encryption. {@code verifyInbound} (default on): inbound mail's DKIM
 * signatures (RFC 6376) are checked while the message is readable, and the verdict goes into an
 * {@code Authentication-Results} field (RFC 8601) inside the encrypted part; {@code signOutbound} (default
 * on): outbound mail is DKIM-signed, as the last change made to it, with the active keys of its From
 * domain ({@code mailseal dkim generate}); a domain without a key leaves unsigned.
 */
public record Authentication(Boolean verifyInbound, Boolean signOutbound) {
    public Authentication {
        verifyInbound = verifyInbound == null || verifyInbound;
        signOutbound = signOutbound == null || signOutbound;
    }
}
