package org.mailseal.policy;

import org.mailseal.mail.Address;

/** Decides, for one recipient, whether and how a message is encrypted. */
public interface Decider {
    RecipientDecider.Decision decide(String queueId, Address rcpt) throws Exception;
}
