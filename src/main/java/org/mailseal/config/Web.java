package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The web admin, user self-service and REST API, on one HTTPS listener. Off by default; {@code listen}
 * (default 127.0.0.1:8444: loopback unless you say otherwise); {@code certificate}/{@code privateKey} (PEM;
 * default: the gateway's {@code tls} certificate); {@code admins}: the users (logins of the store) who get
 * the admin role, everyone else who can log in sees only their own data; {@code sessionIdle}: a session
 * unused this long ends (default 30 minutes); {@code mailLogRetention}: how long the mail log the admin
 * searches keeps its lines (default 30 days).
 */
public record Web(Boolean enabled, HostPort listen, Path certificate, Path privateKey, List<String> admins, Duration sessionIdle,
                  Duration mailLogRetention) {
    public Web {
        enabled = enabled != null && enabled;
        listen = listen != null ? listen : HostPort.parse("127.0.0.1:8444");
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("web.certificate and web.privateKey go together");
        }
        admins = admins != null ? admins.stream().map(a -> a.toLowerCase(java.util.Locale.ROOT)).toList() : List.of();
        sessionIdle = sessionIdle != null ? sessionIdle : Duration.ofMinutes(30);
        Checks.requirePositive("web.sessionIdle", sessionIdle.toMillis());
        mailLogRetention = mailLogRetention != null ? mailLogRetention : Duration.ofDays(30);
        Checks.requirePositive("web.mailLogRetention", mailLogRetention.toMillis());
    }
}
