package org.mailseal.mailauth;

import java.util.ArrayList;
import java.util.List;
import org.mailseal.mailauth.dkim.DkimResult;

/**
 * Writes an {@code Authentication-Results} field (RFC 8601 §2.2): our authserv-id, then one resinfo per
 * method and signature, e.g. {@code dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256
 * header.b=abcdEFGH} (header.b: RFC 6008). Property values that are not tokens are quoted; a reason
 * becomes a comment, with its parentheses and backslashes escaped.
 */
public final class AuthenticationResults {

    private AuthenticationResults() {
    }

    /** The field's value (without the name), folded one result per line. */
    public static String value(String authservId, List<DkimResult> dkim) {
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
        return authservId + ";\r\n\t" + String.join(";\r\n\t", parts);
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
