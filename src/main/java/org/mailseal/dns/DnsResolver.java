package org.mailseal.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.config.Dns;
import org.mailseal.config.HostPort;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The gateway's one DNS resolver (config {@code dns:}), on dnsjava. Every answer says which of three
 * things happened, because the callers must never take a failed lookup for a missing record: a
 * timeout or SERVFAIL is {@link Status#TEMPERROR} (the caller defers or reports {@code temperror}),
 * NXDOMAIN or an empty answer is {@link Status#NONE}.
 */
public final class DnsResolver {

    public enum Status { FOUND, NONE, TEMPERROR }

    /** The records found (FOUND), or none with the reason (NONE, TEMPERROR). */
    public record Answer<T>(Status status, List<T> records, String reason) {
        static <T> Answer<T> none(String why) {
            return new Answer<>(Status.NONE, List.of(), why);
        }

        static <T> Answer<T> temperror(String why) {
            return new Answer<>(Status.TEMPERROR, List.of(), why);
        }
    }

    private final Resolver resolver;

    public DnsResolver(Dns config) {
        try {
            if (config.servers().isEmpty()) {
                resolver = new ExtendedResolver();
            } else {
                List<Resolver> rs = new ArrayList<>();
                for (HostPort hp : config.servers()) {
                    SimpleResolver s = new SimpleResolver(InetAddress.getByName(hp.host()));
                    s.setPort(hp.port());
                    rs.add(s);
                }
                resolver = new ExtendedResolver(rs);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("dns.servers: bad server: " + e.getMessage());
        }
        resolver.setTimeout(config.timeout());
    }

    /** The dnsjava resolver underneath, for lookups that need records of other types (MX, A, AAAA). */
    public Resolver resolver() {
        return resolver;
    }

    /** The records of {@code type} at {@code name}. */
    public Answer<Record> lookup(String name, int type) {
        Lookup l;
        try {
            l = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type);
        } catch (TextParseException e) {
            return Answer.none("not a domain name");
        }
        l.setResolver(resolver);
        l.setCache(null);
        Record[] rs = l.run();
        return switch (l.getResult()) {
            case Lookup.SUCCESSFUL -> new Answer<>(Status.FOUND, List.of(rs), null);
            case Lookup.HOST_NOT_FOUND -> Answer.none("NXDOMAIN");
            case Lookup.TYPE_NOT_FOUND -> Answer.none("no " + Type.string(type) + " record");
            default -> Answer.temperror(l.getErrorString());
        };
    }

    /**
     * The TXT records at {@code name}, each with its character strings joined (RFC 6376 §3.6.2.2, RFC 7208
     * §3.3), as Latin-1 so that no byte is lost.
     */
    public Answer<String> txt(String name) {
        Answer<Record> a = lookup(name, Type.TXT);
        if (a.status() != Status.FOUND) {
            return new Answer<>(a.status(), List.of(), a.reason());
        }
        List<String> out = new ArrayList<>();
        for (Record r : a.records()) {
            if (r instanceof TXTRecord t) {
                StringBuilder b = new StringBuilder();
                for (byte[] s : t.getStringsAsByteArrays()) {
                    b.append(new String(s, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                out.add(b.toString());
            }
        }
        return out.isEmpty() ? Answer.none("no TXT record") : new Answer<>(Status.FOUND, out, null);
    }
}
