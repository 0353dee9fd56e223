package org.mailseal.mailauth.results;

import java.util.ArrayList;
import java.util.List;
import org.mailseal.mailauth.dkim.DkimResult;
import org.mailseal.mailauth.dmarc.DmarcResult;
import org.mailseal.mailauth.spf.SpfResult;

/**
 * Writes an {@code Authentication-Results} field (RFC 8601 §2.2): our authserv-id, then one resinfo per
 * method and signature, e.g. {@code dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256
 * header.b=abcdEFGH} (header.b: RFC 6008). Property values that are not tokens are quoted; a reason
 * becomes a comment, with its parentheses and backslashes escaped.
 */
public final class AuthenticationResults {

    private AuthenticationResults() {
    }

    /** The field's value with the SPF, DKIM and DMARC results, folded one result per line. */
    public static String value(String authservId, SpfResult spf, List<DkimResult> dkim, DmarcResult dmarc,
                               org.mailseal.mailauth.arc.ArcVerifier.Result arc) {
        List<String> parts = new ArrayList<>();
        if (arc != null) {
            // RFC 8617 §4.1.1 (arc=, with the newest instance); a reason as a comment.
            parts.add("arc=" + arc.verdict().keyword() + (arc.reason() != null ? " (" + comment(arc.reason()) + ")" : "")
                    + (arc.instance() > 0 ? " arc.chain=" + arc.instance() : ""));
        }
        // RFC 8601 §2.7.2: smtp.mailfrom, or smtp.helo when the null sender made HELO the identity.
        parts.add("spf=" + spf.verdict().keyword() + (spf.helo() ? " smtp.helo=" + value(spf.domain()) : " smtp.mailfrom=" + value(spf.identity())));
        parts.addAll(dkimParts(dkim));
        if (dmarc != null) {
            StringBuilder b = new StringBuilder("dmarc=").append(dmarc.verdict().keyword());
            if (dmarc.policy() != null) {
                b.append(" (p=").append(dmarc.policy().name().toLowerCase(java.util.Locale.ROOT)).append(')');
            } else if (dmarc.reason() != null) {
                b.append(" (").append(comment(dmarc.reason())).append(')');
            }
            if (!dmarc.fromDomain().isEmpty()) {
                b.append(" header.from=").append(value(dmarc.fromDomain())); // RFC 7489 §11.2
            }
            parts.add(b.toString());
        }
        return authservId + ";\r\n\t" + String.join(";\r\n\t", parts);
    }

    /** The field's value with DKIM results only. */
    public static String value(String authservId, List<DkimResult> dkim) {
        return authservId + ";\r\n\t" + String.join(";\r\n\t", dkimParts(dkim));
    }

    private static List<String> dkimParts(List<DkimResult> dkim) {
        List<String> parts = new ArrayList<>();
        if (dkim.isEmpty()) {
            parts.add("dkim=none");
        }
        for (DkimResult r : dkim) {
            StringBuilder b = new StringBuilder("dkim=").append(r.verdict().keyword());
            if (r.reason() != null) {
                b.append(" (").append(comment(r.reason())).append(')');
            }
            if (!r.domain().isEmpty()) {
                b.append(" header.d=").append(value(r.domain()));
            }
            if (!r.selector().isEmpty()) {
                b.append(" header.s=").append(value(r.selector()));
            }
            if (!r.algorithm().isEmpty()) {
                b.append(" header.a=").append(value(r.algorithm()));
            }
            if (!r.bPrefix().isEmpty()) {
                b.append(" header.b=").append(value(r.bPrefix()));
            }
            parts.add(b.toString());
        }
        return parts;
    }

    /** A token as is, anything else as a quoted string (RFC 2045 §5.1 value). */
    static String value(String v) {
        if (v.matches("[!#$%&'*+\\-.0-9A-Z^_`a-z{|}~]+")) {
            return v;
        }
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\r\\n]", "") + '"';
    }

    static String comment(String s) {
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replaceAll("[\\r\\n\\p{Cntrl}]", "");
    }
}
