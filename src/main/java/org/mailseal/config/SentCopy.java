package org.mailseal.config;

import java.time.Duration;
import java.util.List;

/**
 * Encrypted Sent copies: after an outbound message was relayed, a copy encrypted to the sender's own
 * key is appended to {@code folder} on the cloud IMAP server ({@code imapUrl}: imap:// with optional
 * STARTTLS, or imaps://), with the user's stored login. Failed appends are retried from a durable
 * queue every {@code retryInterval}.
 */
public record SentCopy(Boolean enabled, java.net.URI imapUrl, String folder, Duration retryInterval, Boolean requireTls) {
    public SentCopy {
        enabled = enabled != null && enabled;
        folder = folder != null ? folder : "Sent";
        retryInterval = retryInterval != null ? retryInterval : Duration.ofMinutes(1);
        requireTls = requireTls == null || requireTls;
        if (enabled && imapUrl == null) {
            throw new IllegalArgumentException("imapUrl is required when enabled");
        }
        if (imapUrl != null && !List.of("imap", "imaps").contains(String.valueOf(imapUrl.getScheme())) || imapUrl != null && imapUrl.getHost() == null) {
            throw new IllegalArgumentException("imapUrl must be imap://HOST[:PORT] or imaps://HOST[:PORT]");
        }
        Checks.requirePositive("retryInterval", retryInterval.toMillis());
    }
}
