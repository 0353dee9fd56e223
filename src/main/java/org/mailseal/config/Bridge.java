package org.mailseal.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The decrypting IMAP bridge: an IMAP server for stock mail clients in front of the cloud mailbox
 * ({@code upstream}: imap:// with STARTTLS, or imaps://), which serves the mail mailseal encrypted as plain.
 * {@code listen} (default 127.0.0.1:1143: STARTTLS offered, and required before LOGIN unless
 * {@code allowPlainLogin}, for loopback tests only); {@code listenTls} (implicit TLS, off unless set);
 * {@code certificate}/{@code privateKey} (PEM; default: the gateway's {@code tls} certificate);
 * {@code upstreamRequireTls} (default true); {@code cacheSize} (bytes of the encrypted cache of decrypted
 * messages, default 1 GiB, least recently used first out); {@code idlePoll} (how often a client in IDLE is
 * brought up to date from the mailbox, default 15s).
 */
public record Bridge(Boolean enabled, HostPort listen, HostPort listenTls, Path certificate, Path privateKey, URI upstream,
                     Boolean upstreamRequireTls, Long cacheSize, Boolean allowPlainLogin, java.time.Duration idlePoll) {
    public Bridge {
        enabled = enabled != null && enabled;
        listen = listen != null ? listen : HostPort.parse("127.0.0.1:1143");
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("bridge.certificate and bridge.privateKey go together");
        }
        if (enabled && upstream == null) {
            throw new IllegalArgumentException("bridge.upstream is required when enabled (imap://HOST[:PORT] or imaps://HOST[:PORT])");
        }
        if (upstream != null && (!List.of("imap", "imaps").contains(String.valueOf(upstream.getScheme())) || upstream.getHost() == null)) {
            throw new IllegalArgumentException("bridge.upstream must be imap://HOST[:PORT] or imaps://HOST[:PORT]");
        }
        upstreamRequireTls = upstreamRequireTls == null || upstreamRequireTls;
        cacheSize = cacheSize != null ? cacheSize : 1L << 30;
        Checks.requirePositive("bridge.cacheSize", cacheSize);
        allowPlainLogin = allowPlainLogin != null && allowPlainLogin;
        idlePoll = idlePoll != null ? idlePoll : java.time.Duration.ofSeconds(15);
        Checks.requirePositive("bridge.idlePoll", idlePoll.toMillis());
    }
}
