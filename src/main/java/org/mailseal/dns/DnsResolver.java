package org.mailseal.dns;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.config.Dns;
import org.mailseal.config.HostPort;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * The gateway's one DNS resolver (config {@code dns:}), on dnsjava. Every answer says which of three
 * things happened, because the callers must never take a failed lookup for a missing record: a
 * timeout or SERVFAIL is {@link Status#TEMPERROR} (the caller defers or reports {@code temperror}),
 * NXDOMAIN or an empty answer is {@link Status#NONE}.
 *
 * <p>With {@code dns.dnssec}, answers are validated here by dnsjava's {@link ValidatingResolver} from the
 * configured trust anchors, and each answer says whether it is {@code secure} (RFC 4035 §4.3). A bogus
 * answer comes back as SERVFAIL, so it is a TEMPERROR with the validator's reason: never "no record",
 * never an answer. Without validation nothing is secure.
 */
public final class DnsResolver {

    public enum Status { FOUND, NONE, TEMPERROR }

    /** The records found (FOUND), or none with the reason (NONE, TEMPERROR); {@code secure}: DNSSEC-validated. */
    public record Answer<T>(Status status, List<T> records, String reason, boolean secure) {
        public Answer(Status status, List<T> records, String reason) {
            this(status, records, reason, false);
        }

        static <T> Answer<T> none(String why, boolean secure) {
            return new Answer<>(Status.NONE, List.of(), why, secure);
        }

        static <T> Answer<T> temperror(String why) {
            return new Answer<>(Status.TEMPERROR, List.of(), why, false);
        }
    }

    private final Resolver resolver;
    private final boolean validating;

    public DnsResolver(Dns config) {
        Resolver upstream;
        try {
            if (config.servers().isEmpty()) {
                upstream = new ExtendedResolver();
            } else {
                List<Resolver> rs = new ArrayList<>();
                for (HostPort hp : config.servers()) {
                    SimpleResolver s = new SimpleResolver(InetAddress.getByName(hp.host()));
                    s.setPort(hp.port());
                    rs.add(s);
                }
                upstream = new ExtendedResolver(rs);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("dns.servers: bad server: " + e.getMessage());
        }
        upstream.setTimeout(config.timeout());
        validating = config.dnssec();
        if (validating) {
            ValidatingResolver v = new ValidatingResolver(upstream);
            try (InputStream in = anchors(config.trustAnchors())) {
                v.loadTrustAnchors(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("dns.trustAnchors: " + e.getMessage());
            }
            v.setTimeout(config.timeout());
            resolver = v;
        } else {
            resolver = upstream;
        }
    }

    private static InputStream anchors(Path file) throws IOException {
        if (file != null) {
            return Files.newInputStream(file);
        }
        Path debian = Path.of("/usr/share/dns/root.ds"); // Debian's dns-root-data follows KSK rollovers
        if (Files.isReadable(debian)) {
            return Files.newInputStream(debian);
        }
        return DnsResolver.class.getResourceAsStream("/dns/root.ds");
    }

    /** Whether answers are validated here (config {@code dns.dnssec}). */
    public boolean validating() {
        return validating;
    }

    /** The dnsjava resolver underneath (validating where configured). */
    public Resolver resolver() {
        return resolver;
    }

    /**
     * The records of {@code type} at {@code name}, following a CNAME chain in the answer. Asked once (the
     * resolver retries within its timeout); no search list, no cache: each caller caches what it must.
     */
    public Answer<Record> lookup(String name, int type) {
        Name n;
        try {
            n = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            return Answer.none("not a domain name", false);
        }
        Message response;
        try {
            response = resolver.send(Message.newQuery(Record.newRecord(n, type, DClass.IN)));
        } catch (IOException e) {
            return Answer.temperror(e.getMessage() != null ? e.getMessage() : "timed out");
        }
        boolean secure = validating && response.getHeader().getFlag(Flags.AD);
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return Answer.none("NXDOMAIN", secure);
        }
        if (rcode != Rcode.NOERROR) {
            return Answer.temperror(Rcode.string(rcode) + reason(response));
        }
        List<Record> found = new ArrayList<>();
        Name want = n;
        for (int hops = 0; hops < 8; hops++) {
            Name next = null;
            for (Record r : response.getSection(Section.ANSWER)) {
                if (!r.getName().equals(want)) {
                    continue;
                }
                if (r.getType() == type) {
                    found.add(r);
                } else if (r.getType() == Type.CNAME && type != Type.CNAME) {
                    next = ((org.xbill.DNS.CNAMERecord) r).getTarget();
                }
            }
            if (!found.isEmpty() || next == null) {
                break;
            }
            want = next;
        }
        return found.isEmpty() ? Answer.none("no " + Type.string(type) + " record", secure)
                : new Answer<>(Status.FOUND, List.copyOf(found), null, secure);
    }

    /** The validator's reason for a SERVFAIL (a TXT record of class 65280), if it gave one. */
    private static String reason(Message response) {
        for (Record r : response.getSection(Section.ADDITIONAL)) {
            if (r.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS && r instanceof TXTRecord t) {
                String why = String.join(" ", t.getStrings());
                return " (DNSSEC: " + (why.length() > 200 ? why.substring(0, 200) + "…" : why) + ")";
            }
        }
        return "";
    }

    /**
     * The TXT records at {@code name}, each with its character strings joined (RFC 6376 §3.6.2.2, RFC 7208
     * §3.3), as Latin-1 so that no byte is lost.
     */
    public Answer<String> txt(String name) {
        Answer<Record> a = lookup(name, Type.TXT);
        if (a.status() != Status.FOUND) {
            return new Answer<>(a.status(), List.of(), a.reason(), a.secure());
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
        return out.isEmpty() ? Answer.none("no TXT record", a.secure()) : new Answer<>(Status.FOUND, out, null, a.secure());
    }
}
