package org.mailseal.config;

import java.net.InetAddress;
import java.util.List;

/** Client networks that may relay outbound, and those whose XFORWARD is believed. */
public record Networks(
        List<Cidr> trusted,
        List<Cidr> xforward) {
    public Networks {
        trusted = trusted != null ? List.copyOf(trusted) : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
        xforward = xforward != null ? List.copyOf(xforward) : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    }

    public boolean isTrusted(InetAddress a) {
        return trusted.stream().anyMatch(c -> c.contains(a));
    }

    public boolean isXforwardAllowed(InetAddress a) {
        return xforward.stream().anyMatch(c -> c.contains(a));
    }
}
