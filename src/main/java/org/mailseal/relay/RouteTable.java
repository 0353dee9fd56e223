package org.mailseal.relay;

import org.mailseal.config.NextHop;
import org.mailseal.config.Relay;
import org.mailseal.config.TlsPolicy;

/** Picks the next hop and TLS policy for a recipient domain: a per-domain route, else the default. */
public final class RouteTable {

    /** A resolved route. {@code key} groups recipients that can share one transaction. */
    public record Route(NextHop hop, TlsPolicy tls, String key) {
    }

    private final Relay cfg;

    public RouteTable(Relay cfg) {
        this.cfg = cfg;
    }

    public Route routeFor(String domain) {
        org.mailseal.config.Route r = cfg.routes().get(domain);
        NextHop hop = NextHop.parse(r != null ? r.nexthop() : cfg.defaultRoute());
        TlsPolicy tls = r != null && r.tls() != null ? r.tls() : cfg.tls();
        // With "mx", each recipient domain has its own MX hosts, so its own transaction.
        String key = hop + "|" + tls + (hop.recipientDomain() ? "|" + domain : "");
        return new Route(hop, tls, key);
    }
}
