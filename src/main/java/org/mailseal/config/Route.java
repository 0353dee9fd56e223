package org.mailseal.config;

/** One route: where mail goes and how. */
public record Route(String nexthop, TlsPolicy tls) {
    public Route {
        if (nexthop == null) {
            throw new IllegalArgumentException("missing nexthop");
        }
        NextHop.parse(nexthop);
    }
}
