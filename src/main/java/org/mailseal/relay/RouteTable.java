package org.mailseal.relay;

import java.util.HashMap;
import java.util.Map;
import org.mailseal.config.NextHop;
import org.mailseal.config.Relay;
import org.mailseal.config.TlsPolicy;

/** Picks the next hop and TLS policy for a recipient domain: a per-domain route, else the default. */
public final class RouteTable {

    /** A resolved route. {@code key} groups recipients that can share one transaction. */
    public record Route(NextHop hop, TlsPolicy tls, String key) {
        // The key says it all (hop, TLS policy, and the domain for "mx"): cheap to compare per message.
        @Override
        public boolean equals(Object o) {
            return o instanceof Route r && r.key.equals(key);
        }

        @Override
        public int hashCode() {
            return key.hashCode();
        }
    }

    private final Route fallback;
    private final Map<String, Route> routes = new HashMap<>();

    /** Parses every route once, at start; a lookup is then a map access. */
    public RouteTable(Relay cfg) {
        NextHop def = NextHop.parse(cfg.defaultRoute());
        fallback = route(def, cfg.tlsFor(null, def));
        cfg.routes().forEach((domain, r) -> {
            NextHop hop = NextHop.parse(r.nexthop());
            routes.put(domain, route(hop, cfg.tlsFor(r.tls(), hop)));
        });
    }

    private static Route route(NextHop hop, TlsPolicy tls) {
        return new Route(hop, tls, hop + "|" + tls);
    }

    public Route routeFor(String domain) {
        Route r = routes.getOrDefault(domain, fallback);
        // With "mx", each recipient domain has its own MX hosts, so its own transaction.
        return r.hop().recipientDomain() ? new Route(r.hop(), r.tls(), r.key() + "|" + domain) : r;
    }
}
