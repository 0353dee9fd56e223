package org.mailseal.relay;

import org.mailseal.config.MailsealConfig;
import org.mailseal.config.NextHop;

/** Picks the next hop and TLS policy for a recipient domain: a per-domain route, else the default. */
public final class RouteTable {

    /** A resolved route. {@code key} groups recipients that can share one transaction. */
    public record Route(NextHop hop, MailsealConfig.TlsPolicy tls, String key) {
    }

    private final MailsealConfig.Relay cfg;

    public RouteTable(MailsealConfig.Relay cfg) {
        this.cfg = cfg;
    }

    public Route routeFor(String domain) {
        MailsealConfig.Route r = cfg.routes().get(domain);
        NextHop hop = NextHop.parse(r != null ? r.nexthop() : cfg.defaultRoute());
        MailsealConfig.TlsPolicy tls = r != null && r.tls() != null ? r.tls() : cfg.tls();
        // With "mx", each recipient domain has its own MX hosts, so its own transaction.
        String key = hop + "|" + tls + (hop.recipientDomain() ? "|" + domain : "");
        return new Route(hop, tls, key);
    }
}
