package org.mailseal.mailauth.dmarc;

import org.mailseal.mailauth.Verdict;

/**
 * The DMARC verdict for the RFC5322.From domain (RFC 7489 §4.2, §11.2): {@code policy} is the one that
 * applies to this domain (p=, or sp= for a subdomain), null without a record; {@code alignedDkim} /
 * {@code alignedSpf} say which identifier passed in alignment.
 */
public record DmarcResult(Verdict verdict, String fromDomain, Policy policy, boolean alignedDkim, boolean alignedSpf, String reason) {

    public enum Policy { NONE, QUARANTINE, REJECT }

    public boolean passed() {
        return verdict == Verdict.PASS;
    }
}
