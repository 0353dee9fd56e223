package org.mailseal.policy;

import org.mailseal.mail.Address;

/** Decides, for one recipient, whether and how a message is encrypted. */
public interface Decider {
    RecipientDecider.Decision decide(String queueId, Address rcpt) throws Exception;

    /** As {@link #decide(String, Address)}, for a message whose sender asked for encryption (the subject trigger). */
    default RecipientDecider.Decision decide(String queueId, Address rcpt, boolean secureRequested) throws Exception {
        return decide(queueId, rcpt);
    }
}
