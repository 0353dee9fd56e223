package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;

/**
 * A recipient's final outcome, and the item it ended with (its last content: what the relay sent or
 * the milter puts in place of the message).
 */
public record RecipientResult(Recipient recipient, Outcome outcome, MailItem item) {
}
