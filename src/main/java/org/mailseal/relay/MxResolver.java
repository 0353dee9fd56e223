package org.mailseal.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.mailseal.config.HostPort;
import org.mailseal.config.NextHop;
import org.mailseal.smtp.SmtpReply;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Turns a next hop into addresses to try, in order. {@code [host]} is used as is; otherwise the MX
 * records are looked up (RFC 5321 §5.1), lowest preference first, falling back to the domain's own
 * address when there is no MX. A DNS failure is temporary (4xx): a lookup timeout is never "no host".
 */
public final class MxResolver {

    /** One place to connect to. */
    public record Target(String host, InetSocketAddress address) {
    }

    private final Resolver resolver;

    public MxResolver(List<HostPort> servers, Duration timeout) {
        this(new org.mailseal.dns.DnsResolver(new org.mailseal.config.Dns(servers, timeout)));
    }

    /** Through the gateway's one resolver component. */
    public MxResolver(org.mailseal.dns.DnsResolver dns) {
        this.resolver = dns.resolver();
    }

    public List<Target> resolve(NextHop hop, String recipientDomain) throws ResolveException {
        String domain = hop.recipientDomain() ? recipientDomain : hop.host();
        if (!hop.mxLookup()) {
            return addresses(domain, hop.port());
        }
        if (domain.startsWith("[") && domain.endsWith("]")) { // address literal, RFC 5321 §4.1.3
            String lit = domain.substring(1, domain.length() - 1);
            lit = lit.regionMatches(true, 0, "IPv6:", 0, 5) ? lit.substring(5) : lit;
            return addresses(lit, hop.port());
        }
        Record[] mx = lookup(domain, Type.MX);
        if (mx == null) {
            return addresses(domain, hop.port()); // RFC 5321 §5.1: no MX, use the implicit MX
        }
        MXRecord[] sorted = Arrays.stream(mx).map(r -> (MXRecord) r)
                .sorted(Comparator.comparingInt(MXRecord::getPriority)).toArray(MXRecord[]::new);
        if (sorted.length == 1 && sorted[0].getTarget().equals(Name.root)) {
            // RFC 7505 §3: a null MX means the domain accepts no mail
            throw new ResolveException(SmtpReply.of(556, "5.1.10", "Error: domain " + domain + " does not accept mail (null MX)"));
        }
        List<Target> out = new ArrayList<>();
        ResolveException last = null;
        for (MXRecord r : sorted) {
            String host = r.getTarget().toString(true);
            try {
                out.addAll(addresses(host, hop.port()));
            } catch (ResolveException e) {
                last = e;
            }
        }
        if (out.isEmpty()) {
            throw last != null ? last : new ResolveException(SmtpReply.of(451, "4.4.3", "Error: no usable MX host for " + domain));
        }
        return out;
    }

    private static final java.util.regex.Pattern IP_LITERAL = java.util.regex.Pattern.compile("[0-9.]+");

    /** Address literals need no DNS: parsed once, then reused (a fixed {@code [127.0.0.1]:10026} route). */
    private final java.util.Map<String, List<Target>> literals = new java.util.concurrent.ConcurrentHashMap<>();

    private List<Target> addresses(String host, int port) throws ResolveException {
        String key = host + " " + port;
        List<Target> known = literals.get(key);
        if (known != null) {
            return known;
        }
        if (IP_LITERAL.matcher(host).matches() || host.contains(":")) {
            try {
                List<Target> t = List.of(new Target(host, new InetSocketAddress(InetAddress.getByName(host), port)));
                if (literals.size() < 1024) {
                    literals.put(key, t);
                }
                return t;
            } catch (UnknownHostException e) {
                throw new ResolveException(SmtpReply.of(554, "5.4.4", "Error: bad address " + host));
            }
        }
        if (host.equalsIgnoreCase("localhost")) {
            return List.of(new Target(host, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        }
        List<Target> out = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            Record[] rs;
            try {
                rs = lookup(host, type);
            } catch (ResolveException e) {
                if (type == Type.AAAA && !out.isEmpty()) {
                    continue;
                }
                throw e;
            }
            if (rs != null) {
                for (Record r : rs) {
                    InetAddress a = r instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) r).getAddress();
                    out.add(new Target(host, new InetSocketAddress(a, port)));
                }
            }
        }
        if (out.isEmpty()) {
            throw new ResolveException(SmtpReply.of(550, "5.4.4", "Error: host " + host + " has no address"));
        }
        return out;
    }

    /** Returns the records, or null when the name exists but has none of that type. */
    private Record[] lookup(String name, int type) throws ResolveException {
        Lookup l;
        try {
            l = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type);
        } catch (TextParseException e) {
            throw new ResolveException(SmtpReply.of(550, "5.1.2", "Error: bad domain name " + name));
        }
        l.setResolver(resolver);
        l.setCache(null);
        Record[] rs = l.run();
        switch (l.getResult()) {
            case Lookup.SUCCESSFUL:
                return rs;
            case Lookup.TYPE_NOT_FOUND:
                return null;
            case Lookup.HOST_NOT_FOUND:
                throw new ResolveException(SmtpReply.of(550, "5.1.2", "Error: host or domain name not found: " + name));
            default:
                throw new ResolveException(SmtpReply.of(451, "4.4.3", "Error: DNS lookup failed for " + name + " (" + l.getErrorString() + ")"));
        }
    }

}
