package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Relay client towards the next hop (the cloud provider's MTA, or Postfix's reinjection port). */
public record Relay(
        String defaultRoute,
        TlsPolicy tls,
        Map<String, Route> routes,
        String heloName,
        Duration connectTimeout,
        Duration commandTimeout,
        Duration dataDoneTimeout,
        Integer maxIdlePerRoute,
        Duration idleTimeout,
        List<HostPort> dnsServers,
        Duration deadline,
        Path trustAnchors,
        Integer mtaStsPort) {
    public Relay {
        defaultRoute = defaultRoute != null ? defaultRoute : "[127.0.0.1]:10026";
        NextHop.parse(defaultRoute);
        // tls: null means the default: dane for next hops found by MX lookup, may for fixed ones (see RouteTable)
        routes = routes != null ? Map.copyOf(Checks.lowerKeys(routes)) : Map.of();
        connectTimeout = connectTimeout != null ? connectTimeout : Duration.ofSeconds(30);
        commandTimeout = commandTimeout != null ? commandTimeout : Duration.ofMinutes(5);
        // Postfix smtp_data_done_timeout: 600 s, and the upstream client waits at most that long too.
        dataDoneTimeout = dataDoneTimeout != null ? dataDoneTimeout : Duration.ofMinutes(10);
        maxIdlePerRoute = maxIdlePerRoute != null ? maxIdlePerRoute : 32; // about the concurrency a gateway sees; fewer means a new connection per message under load
        idleTimeout = idleTimeout != null ? idleTimeout : Duration.ofSeconds(60);
        dnsServers = dnsServers != null ? List.copyOf(dnsServers) : List.of();
        // Everything done for one message must end well inside the client's 600 s DATA timeout.
        deadline = deadline != null ? deadline : Duration.ofSeconds(540);
        mtaStsPort = mtaStsPort != null ? mtaStsPort : 443; // another port only for test labs
        if (mtaStsPort < 1 || mtaStsPort > 65535) {
            throw new IllegalArgumentException("relay.mtaStsPort: 1-65535");
        }
    }

    /**
     * The TLS policy towards {@code hop}: the route's own ({@code own}), else {@code relay.tls}, else DANE (with
     * MTA-STS) for next hops found by MX lookup (mail to the internet: RFC 7672, RFC 8461) and opportunistic
     * TLS for fixed ones.
     */
    public TlsPolicy tlsFor(TlsPolicy own, NextHop hop) {
        if (own != null) {
            return own;
        }
        if (tls != null) {
            return tls;
        }
        return hop.mxLookup() ? TlsPolicy.DANE : TlsPolicy.MAY;
    }
}
