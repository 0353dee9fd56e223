package org.mailseal.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.mailseal.config.NextHop;
import org.mailseal.dns.DnsResolver;
import org.mailseal.smtp.SmtpReply;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Turns a next hop into addresses to try, in order. {@code [host]} is used as is; otherwise the MX
 * records are looked up (RFC 5321 §5.1), lowest preference first, falling back to the domain's own
 * address when there is no MX. A DNS failure is temporary (4xx): a lookup timeout is never "no host".
 * Each target says whether the MX and address records that led to it were DNSSEC-secure, which RFC 7672
 * §2.2 requires before TLSA records may be looked up for it.
 */
public final class MxResolver {

    /** One place to connect to; {@code secure}: the MX (if any) and address records were validated. */
    public record Target(String host, InetSocketAddress address, boolean secure) {
    }

    private final DnsResolver dns;

    /** Through the gateway's one resolver component. */
    public MxResolver(DnsResolver dns) {
        this.dns = dns;
    }

    public List<Target> resolve(NextHop hop, String recipientDomain) throws ResolveException {
        String domain = hop.recipientDomain() ? recipientDomain : hop.host();
        if (!hop.mxLookup()) {
            return addresses(domain, hop.port(), false);
        }
        if (domain.startsWith("[") && domain.endsWith("]")) { // address literal, RFC 5321 §4.1.3
            String lit = domain.substring(1, domain.length() - 1);
            lit = lit.regionMatches(true, 0, "IPv6:", 0, 5) ? lit.substring(5) : lit;
            return addresses(lit, hop.port(), false);
        }
        DnsResolver.Answer<Record> mxAnswer = lookup(domain, Type.MX);
        if (mxAnswer.status() == DnsResolver.Status.NONE) {
            return addresses(domain, hop.port(), mxAnswer.secure()); // RFC 5321 §5.1: no MX, use the implicit MX
        }
        MXRecord[] sorted = mxAnswer.records().stream().map(r -> (MXRecord) r)
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
                out.addAll(addresses(host, hop.port(), mxAnswer.secure()));
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

    private List<Target> addresses(String host, int port, boolean secureSoFar) throws ResolveException {
        String key = host + " " + port;
        List<Target> known = literals.get(key);
        if (known != null) {
            return known;
        }
        if (IP_LITERAL.matcher(host).matches() || host.contains(":")) {
            try {
                List<Target> t = List.of(new Target(host, new InetSocketAddress(InetAddress.getByName(host), port), false));
                if (literals.size() < 1024) {
                    literals.put(key, t);
                }
                return t;
            } catch (UnknownHostException e) {
                throw new ResolveException(SmtpReply.of(554, "5.4.4", "Error: bad address " + host));
            }
        }
        if (host.equalsIgnoreCase("localhost")) {
            return List.of(new Target(host, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), false));
        }
        List<Target> out = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            DnsResolver.Answer<Record> a;
            try {
                a = lookup(host, type);
            } catch (ResolveException e) {
                if (type == Type.AAAA && !out.isEmpty()) {
                    continue;
                }
                throw e;
            }
            for (Record r : a.records()) {
                InetAddress addr = r instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) r).getAddress();
                out.add(new Target(host, new InetSocketAddress(addr, port), secureSoFar && a.secure()));
            }
        }
        if (out.isEmpty()) {
            throw new ResolveException(SmtpReply.of(550, "5.4.4", "Error: host " + host + " has no address"));
        }
        return out;
    }

    /** The answer: FOUND, or NONE when the name exists without records of that type. */
    private DnsResolver.Answer<Record> lookup(String name, int type) throws ResolveException {
        if (!name.matches("[\\p{L}\\p{N}._-]+\\.?")) {
            throw new ResolveException(SmtpReply.of(550, "5.1.2", "Error: bad domain name " + name));
        }
        DnsResolver.Answer<Record> a = dns.lookup(name, type);
        return switch (a.status()) {
            case FOUND -> a;
            case NONE -> {
                if (a.reason().equals("NXDOMAIN")) {
                    throw new ResolveException(SmtpReply.of(550, "5.1.2", "Error: host or domain name not found: " + name));
                }
                yield a;
            }
            case TEMPERROR -> throw new ResolveException(SmtpReply.of(451, "4.4.3", "Error: DNS lookup failed for " + name + " (" + a.reason() + ")"));
        };
    }
}
