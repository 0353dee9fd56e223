package org.mailseal.config;

import java.time.Duration;
import java.util.List;

/** rspamd's normal worker ({@code url}, e.g. http://127.0.0.1:11333). */
public record Rspamd(java.net.URI url, Duration timeout) {
    public Rspamd {
        if (url == null || !List.of("http", "https").contains(String.valueOf(url.getScheme()))) {
            throw new IllegalArgumentException("url must be http(s)://host:port");
        }
        timeout = timeout != null ? timeout : Duration.ofSeconds(30);
    }
}
