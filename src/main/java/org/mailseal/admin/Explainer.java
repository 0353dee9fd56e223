package org.mailseal.admin;

import org.mailseal.mail.Address;
import org.mailseal.policy.RecipientDecider;

/**
 * The "why (not) encrypted?" tool: what the policy stage would decide now for a recipient (a preview:
 * nothing is generated or pinned), the inbound decider for a local domain, the outbound one otherwise.
 */
public interface Explainer {

    /** The preview for {@code recipient}, and which direction decided it. */
    record Explanation(String direction, RecipientDecider.Decision decision) {
        /** In words, as the page shows it. */
        public String action() {
            RecipientDecider.Decision d = decision;
            if (d instanceof RecipientDecider.Pgp g) {
                return "encrypt with OpenPGP to key " + g.cert().fingerprint();
            }
            if (d instanceof RecipientDecider.Smime s) {
                return "encrypt with S/MIME to certificate " + s.cert().fingerprint();
            }
            if (d instanceof RecipientDecider.Pdf) {
                return "send it as an encrypted PDF";
            }
            if (d instanceof RecipientDecider.Plain) {
                return "deliver it unencrypted";
            }
            if (d instanceof RecipientDecider.Refuse r) {
                return "refuse it: " + r.reply().oneLine();
            }
            if (d instanceof RecipientDecider.WouldGenerate w) {
                return "generate " + (w.method() == org.mailseal.config.CryptoMethod.SMIME ? "an S/MIME certificate" : "an OpenPGP key")
                        + " for the recipient, then encrypt to it";
            }
            throw new IllegalStateException(String.valueOf(d));
        }

        public String why() {
            RecipientDecider.Decision d = decision;
            if (d instanceof RecipientDecider.Pgp g) {
                return g.why();
            }
            if (d instanceof RecipientDecider.Smime s) {
                return s.why();
            }
            if (d instanceof RecipientDecider.Pdf p) {
                return p.why();
            }
            if (d instanceof RecipientDecider.Plain p) {
                return p.why();
            }
            if (d instanceof RecipientDecider.WouldGenerate w) {
                return w.why();
            }
            return "the policy and the keys known (the log line of a real message gives the details)";
        }
    }

    Explanation explain(Address recipient) throws Exception;
}
