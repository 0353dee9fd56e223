package org.mailseal.mailauth.dmarc;

import java.util.List;
import java.util.Locale;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.Verdict;
import org.mailseal.mailauth.dkim.DkimException;
import org.mailseal.mailauth.dkim.DkimResult;
import org.mailseal.mailauth.dkim.TagList;
import org.mailseal.mailauth.spf.SpfResult;

/**
 * DMARC (RFC 7489): the policy record of the From domain, found at {@code _dmarc.<domain>} or at its
 * organizational domain (§6.6.3), and the check that a DKIM signature or the SPF identity passed
 * <em>aligned</em> with the From domain (§3.1: relaxed = same organizational domain, strict = equal). A
 * DNS failure is {@code temperror}; no record is {@code none}.
 */
public final class DmarcVerifier {

    private final java.util.function.Function<String, DnsResolver.Answer<String>> txt;
    private final OrgDomain org;

    public DmarcVerifier(java.util.function.Function<String, DnsResolver.Answer<String>> txt, OrgDomain org) {
        this.txt = txt;
        this.org = org;
    }

    /** The organizational domain of {@code domain}. */
    public String orgDomain(String domain) {
        return org.of(domain);
    }

    private record Found(TagList tags, boolean atOrg) {
    }

    /** {@code fromDomain}: the single RFC5322.From address's domain (null: none or several, then none). */
    public DmarcResult evaluate(String fromDomain, List<DkimResult> dkim, SpfResult spf) {
        if (fromDomain == null) {
            return new DmarcResult(Verdict.NONE, "", null, false, false, "no single From address");
        }
        String from = fromDomain.toLowerCase(Locale.ROOT);
        String orgFrom = org.of(from);
        Found record;
        try {
            record = lookup("_dmarc." + from, false);
            if (record == null && !orgFrom.equals(from)) {
                record = lookup("_dmarc." + orgFrom, true);
            }
        } catch (Temporary e) {
            return new DmarcResult(Verdict.TEMPERROR, from, null, false, false, e.getMessage());
        } catch (DkimException e) {
            return new DmarcResult(Verdict.PERMERROR, from, null, false, false, e.getMessage());
        }
        if (record == null) {
            return new DmarcResult(Verdict.NONE, from, null, false, false, "no DMARC record");
        }
        TagList t = record.tags();
        DmarcResult.Policy p;
        try {
            p = policy(t.get("p"));
            if (record.atOrg() && t.has("sp")) {
                p = policy(t.get("sp")); // §6.3: sp= for subdomains of the organizational domain
            }
        } catch (DkimException e) {
            return new DmarcResult(Verdict.PERMERROR, from, null, false, false, e.getMessage());
        }
        boolean strictDkim = "s".equals(t.lower("adkim"));
        boolean strictSpf = "s".equals(t.lower("aspf"));
        boolean dkimAligned = dkim.stream().anyMatch(r -> r.passed() && aligned(r.domain(), from, strictDkim));
        boolean spfAligned = spf != null && spf.verdict() == Verdict.PASS && !spf.helo() && aligned(spf.domain(), from, strictSpf);
        Verdict v = dkimAligned || spfAligned ? Verdict.PASS : Verdict.FAIL;
        return new DmarcResult(v, from, p, dkimAligned, spfAligned, null);
    }

    boolean aligned(String identifier, String from, boolean strict) {
        String id = identifier.toLowerCase(Locale.ROOT);
        return strict ? id.equals(from) : org.of(id).equals(org.of(from));
    }

    private static DmarcResult.Policy policy(String p) throws DkimException {
        if (p == null) {
            throw new DkimException("DMARC record without p=");
        }
        return switch (p.strip().toLowerCase(Locale.ROOT)) {
            case "none" -> DmarcResult.Policy.NONE;
            case "quarantine" -> DmarcResult.Policy.QUARANTINE;
            case "reject" -> DmarcResult.Policy.REJECT;
            default -> throw new DkimException("unknown DMARC policy p=" + p);
        };
    }

    private static final class Temporary extends Exception {
        Temporary(String m) {
            super(m);
        }
    }

    /** The one DMARC record at {@code name} (§6.6.3: several, or none, is no policy), or null. */
    private Found lookup(String name, boolean atOrg) throws Temporary, DkimException {
        DnsResolver.Answer<String> a = txt.apply(name);
        if (a.status() == DnsResolver.Status.TEMPERROR) {
            throw new Temporary("DMARC lookup failed: " + a.reason());
        }
        List<String> records = a.records().stream().filter(r -> r.startsWith("v=DMARC1")).toList();
        if (records.size() != 1) {
            return null;
        }
        TagList t = TagList.parse(records.get(0));
        if (!"DMARC1".equals(t.get("v"))) {
            return null;
        }
        return new Found(t, atOrg);
    }
}
