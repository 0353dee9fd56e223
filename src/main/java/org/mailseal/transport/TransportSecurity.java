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

    /**
     * The decision for one host: {@code tlsa} for DANE, {@code why} for the log; for TLS-RPT (RFC 8460 §4.4) the
     * policy {@code type} (null for a fixed next hop: nothing to report) and its {@code policy} strings.
     */
    public record Plan(Mode mode, List<Tlsa> tlsa, String policyDomain, String why, TlsReports.PolicyType type, List<String> policy) {
        public static Plan of(TlsPolicy p) {
            return new Plan(switch (p) {
                case NONE -> Mode.NONE;
                case ENCRYPT -> Mode.ENCRYPT;
                case VERIFY -> Mode.VERIFY;
                default -> Mode.MAY;
            }, List.of(), null, "policy " + p.name().toLowerCase(Locale.ROOT).replace('_', '-'), null, List.of());
        }

        /** The same plan with another mode (a fallback). */
        public Plan withMode(Mode m) {
            return new Plan(m, tlsa, policyDomain, why, type, policy);
        }
    }

    /** This host must not be used: the reason goes into a 4xx; {@code resultType} and {@code type} into TLS-RPT. */
    public static final class Refused extends Exception {
        public final String resultType;
        public final TlsReports.PolicyType type;
        public final List<String> policy;

        public Refused(String why, String resultType, TlsReports.PolicyType type, List<String> policy) {
            super(why, null, false, false);
            this.resultType = resultType;
            this.type = type;
            this.policy = policy;
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
                throw new Refused("TLSA lookup for " + name + " failed: " + a.reason(), "dnssec-invalid", TlsReports.PolicyType.TLSA, List.of());
            }
            if (a.status() == DnsResolver.Status.FOUND && a.secure()) {
                List<Tlsa> all = a.records().stream().filter(r -> r instanceof TLSARecord).map(r -> Tlsa.of((TLSARecord) r)).toList();
                List<Tlsa> usable = all.stream().filter(Tlsa::usable).toList();
                List<String> strings = all.stream().map(Tlsa::presentation).toList();
                if (usable.isEmpty()) {
                    // §2.2: TLSA records exist but none is usable: TLS is still mandatory, unauthenticated
                    return new Plan(Mode.ENCRYPT, List.of(), domain, "DANE: no usable TLSA record at " + name, TlsReports.PolicyType.TLSA, strings);
                }
                return new Plan(Mode.DANE, usable, domain, "DANE: " + usable.size() + " TLSA record(s) at " + name, TlsReports.PolicyType.TLSA, strings);
            }
        }
        MtaStsClient.Lookup sts = mtaSts.policyFor(domain);
        if (sts.policy() == null || sts.policy().mode() == MtaStsPolicy.Mode.NONE) {
            return new Plan(Mode.MAY, List.of(), domain, sts.problem() != null ? "no MTA-STS policy (" + sts.problem() + ")" : "no DANE or MTA-STS policy",
                    TlsReports.PolicyType.NO_POLICY_FOUND, List.of());
        }
        List<String> strings = sts.policy().text().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (!sts.policy().allows(host)) {
            if (sts.policy().mode() == MtaStsPolicy.Mode.ENFORCE) {
                throw new Refused("MX host " + host + " is not in " + domain + "'s MTA-STS policy (id " + sts.id() + ")", "validation-failure",
                        TlsReports.PolicyType.STS, strings);
            }
            return new Plan(Mode.STS_TESTING, List.of(), domain, "MTA-STS testing: MX host " + host + " not in the policy", TlsReports.PolicyType.STS, strings);
        }
        return sts.policy().mode() == MtaStsPolicy.Mode.ENFORCE
                ? new Plan(Mode.STS_ENFORCE, List.of(), domain, "MTA-STS enforce (id " + sts.id() + ")", TlsReports.PolicyType.STS, strings)
                : new Plan(Mode.STS_TESTING, List.of(), domain, "MTA-STS testing (id " + sts.id() + ")", TlsReports.PolicyType.STS, strings);
    }
}
