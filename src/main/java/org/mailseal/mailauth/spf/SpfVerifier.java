package org.mailseal.mailauth.spf;

import java.util.Locale;
import org.apache.james.jspf.executor.SPFResult;
import org.apache.james.jspf.impl.DNSServiceXBillImpl;
import org.apache.james.jspf.impl.SPF;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.Verdict;

/**
 * SPF (RFC 7208) for the connecting client, through Apache jSPF with its DNS on the gateway's resolver.
 * The client is the one Postfix names in XFORWARD when mailseal sits behind it, else the peer address; the
 * caller decides. jSPF answers a DNS timeout or SERVFAIL with {@code temperror} (§2.6.6), never with
 * {@code fail}.
 */
public final class SpfVerifier {

    private final SPF spf;

    public SpfVerifier(DnsResolver dns) {
        DNSServiceXBillImpl service = new DNSServiceXBillImpl(dns.resolver());
        this.spf = new SPF(service);
    }

    /** The verdict for {@code client} sending as {@code mailFrom} (empty: the null sender) after {@code helo}. */
    public SpfResult check(String client, String mailFrom, String helo) {
        boolean byHelo = mailFrom == null || mailFrom.isEmpty();
        String h = helo == null ? "" : helo.strip();
        String identity = byHelo ? "postmaster@" + h : mailFrom;
        String domain = identity.substring(identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (domain.isEmpty() || client == null) {
            return SpfResult.none(identity, domain, byHelo);
        }
        SPFResult r = spf.checkSPF(client, byHelo ? "" : mailFrom, h.isEmpty() ? "unknown" : h);
        Verdict v;
        switch (r.getResult() == null ? "" : r.getResult().toLowerCase(Locale.ROOT)) {
            case "pass" -> v = Verdict.PASS;
            case "fail" -> v = Verdict.FAIL;
            case "softfail" -> v = Verdict.SOFTFAIL;
            case "neutral" -> v = Verdict.NEUTRAL;
            case "temperror" -> v = Verdict.TEMPERROR;
            case "permerror" -> v = Verdict.PERMERROR;
            default -> v = Verdict.NONE;
        }
        return new SpfResult(v, identity, domain, byHelo);
    }
}
