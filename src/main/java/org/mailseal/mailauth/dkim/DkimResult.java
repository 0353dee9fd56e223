package org.mailseal.mailauth.dkim;

import org.mailseal.mailauth.Verdict;

/**
 * One DKIM signature's verdict (RFC 8601 §2.7.1) with what identifies it: {@code d=}, {@code s=},
 * {@code a=}, the first characters of {@code b=} (RFC 6008), and why it is not a pass.
 */
public record DkimResult(Verdict verdict, String domain, String selector, String algorithm, String bPrefix, String reason) {

    public boolean passed() {
        return verdict == Verdict.PASS;
    }
}
