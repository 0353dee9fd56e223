package org.mailseal.config;

import java.time.Duration;

/**
 * The secure reply path of PDF mail: a "Reply" link in each PDF opens a form on this HTTPS listener.
 * {@code url}: the listener as recipients reach it (e.g. {@code https://mail.example.com:10443}), the
 * link's base; {@code validity}: how long a link works (it works once); {@code perMinute}: requests a
 * client address may make per minute; {@code tls}: HTTPS with the gateway's certificate ({@code false}
 * only behind a reverse proxy that terminates TLS, on loopback).
 */
public record PdfReply(Boolean enabled, HostPort listen, String url, Duration validity, Integer perMinute, Boolean tls,
                       Integer maxReplyChars) {
    public PdfReply {
        enabled = enabled != null && enabled;
        listen = listen != null ? listen : HostPort.parse("127.0.0.1:10443");
        validity = validity != null ? validity : Duration.ofDays(30);
        perMinute = perMinute != null ? perMinute : 30;
        tls = tls == null || tls;
        maxReplyChars = maxReplyChars != null ? maxReplyChars : 100_000;
        Checks.requirePositive("pdf.reply.validity", validity.toSeconds());
        Checks.requirePositive("pdf.reply.perMinute", perMinute);
        Checks.requirePositive("pdf.reply.maxReplyChars", maxReplyChars);
        if (enabled && (url == null || !url.matches("https?://[A-Za-z0-9.\\[\\]:-]+(/[A-Za-z0-9._~/-]*)?"))) {
            throw new IllegalArgumentException("pdf.reply.url: the listener's address as recipients reach it, e.g. https://mail.example.com:10443 (got '"
                    + url + "')");
        }
        if (enabled && !tls && !listen.host().equals("127.0.0.1") && !listen.host().equals("::1") && !listen.host().equals("localhost")) {
            throw new IllegalArgumentException("pdf.reply.tls: false is only for a loopback listener behind a TLS proxy (listen is " + listen.host() + ")");
        }
    }

    /** The link base without a trailing slash. */
    public String base() {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
