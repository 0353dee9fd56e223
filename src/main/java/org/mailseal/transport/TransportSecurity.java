package org.mailseal.transport;

import java.util.List;
import java.util.Locale;
import org.mailseal.config.TlsPolicy;
import org.mailseal.dns.DnsResolver;
import org.xbill.DNS.Record;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/**
 * Decides, for one MX host, how the relay client must protect the connection: the configured TLS policy,
 * raised by what the recipient domain publishes. Under {@code dane} (RFC 7672 §2.2): when the MX and
 * address records were DNSSEC-secure, the host's TLSA records are looked up; secure usable records mean
 * DANE authentication, a failed or bogus lookup means this host is not used (4xx, never plaintext). Without
 * TLSA records, and under {@code mta-sts}, the domain's MTA-STS policy applies (RFC 8461 §4, §5).
 */
public final class TransportSecurity {

    /** How the connection to one host is protected. */
    public enum Mode {
        NONE, MAY, ENCRYPT, VERIFY, DANE, STS_ENFORCE, STS_TESTING;

        /** Whether this mode refuses to send without TLS. */
        public boolean requiresTls() {
            return this == ENCRYPT || this == VERIFY || this == DANE || this == STS_ENFORCE;
        }
    }

    /** The decision for one host: {@code tlsa} for DANE, {@code why} for the log and TLS-RPT. */
    public record Plan(Mode mode, List<Tlsa> tlsa, String policyDomain, String why) {
        public static Plan of(TlsPolicy p) {
            return new Plan(switch (p) {
                case NONE -> Mode.NONE;
                case ENCRYPT -> Mode.ENCRYPT;
                case VERIFY -> Mode.VERIFY;
                default -> Mode.MAY;
            }, List.of(), null, "policy " + p.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
    }

    /** This host must not be used: the reason goes into a 4xx. */
    public static final class Refused extends Exception {
        public Refused(String why) {
            super(why, null, false, false);
        }
    }

    private final DnsResolver dns;
    private final MtaStsClient mtaSts;

    public TransportSecurity(DnsResolver dns, MtaStsClient mtaSts) {
        this.dns = dns;
        this.mtaSts = mtaSts;
    }

    /**
     * {@code domain}: the domain whose MX records gave {@code host} (null for a fixed next hop, where neither
     * DANE nor MTA-STS applies); {@code secure}: whether those MX and address records were DNSSEC-secure.
     */
    public Plan plan(TlsPolicy policy, String domain, String host, int port, boolean secure) throws Refused {
        if (domain == null || (policy != TlsPolicy.DANE && policy != TlsPolicy.MTA_STS)) {
            return Plan.of(policy);
        }
        if (policy == TlsPolicy.DANE && secure && dns.validating()) {
            String name = "_" + port + "._tcp." + host; // RFC 7672 §2.3, RFC 6698 §3
            DnsResolver.Answer<Record> a = dns.lookup(name, Type.TLSA);
            if (a.status() == DnsResolver.Status.TEMPERROR) {
                throw new Refused("TLSA lookup for " + name + " failed: " + a.reason());
            }
            if (a.status() == DnsResolver.Status.FOUND && a.secure()) {
                List<Tlsa> all = a.records().stream().filter(r -> r instanceof TLSARecord).map(r -> Tlsa.of((TLSARecord) r)).toList();
                List<Tlsa> usable = all.stream().filter(Tlsa::usable).toList();
                if (usable.isEmpty()) {
                    // §2.2: TLSA records exist but none is usable: TLS is still mandatory, unauthenticated
                    return new Plan(Mode.ENCRYPT, List.of(), domain, "DANE: no usable TLSA record at " + name);
                }
                return new Plan(Mode.DANE, usable, domain, "DANE: " + usable.size() + " TLSA record(s) at " + name);
            }
        }
        MtaStsClient.Lookup sts = mtaSts.policyFor(domain);
        if (sts.policy() == null || sts.policy().mode() == MtaStsPolicy.Mode.NONE) {
            return new Plan(Mode.MAY, List.of(), domain, sts.problem() != null ? "no MTA-STS policy (" + sts.problem() + ")" : "no DANE or MTA-STS policy");
        }
        if (!sts.policy().allows(host)) {
            if (sts.policy().mode() == MtaStsPolicy.Mode.ENFORCE) {
                throw new Refused("MX host " + host + " is not in " + domain + "'s MTA-STS policy (id " + sts.id() + ")");
            }
            return new Plan(Mode.STS_TESTING, List.of(), domain, "MTA-STS testing: MX host " + host + " not in the policy");
        }
        return sts.policy().mode() == MtaStsPolicy.Mode.ENFORCE
                ? new Plan(Mode.STS_ENFORCE, List.of(), domain, "MTA-STS enforce (id " + sts.id() + ")")
                : new Plan(Mode.STS_TESTING, List.of(), domain, "MTA-STS testing (id " + sts.id() + ")");
    }
}
