package org.mailseal.mailauth.spf;

import org.mailseal.mailauth.Verdict;

/**
 * The SPF verdict (RFC 7208 §2.6) for the identity checked: the MAIL FROM address, or, for the null
 * sender, the HELO name (§2.3, §2.4). {@code domain} is the domain the verdict speaks for.
 */
public record SpfResult(Verdict verdict, String identity, String domain, boolean helo) {

    public static SpfResult none(String identity, String domain, boolean helo) {
        return new SpfResult(Verdict.NONE, identity, domain, helo);
    }
}
