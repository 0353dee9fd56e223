package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;

/**
 * One step of the mail flow (scan, policy, encrypt, relay...). A stage looks at one item and returns
 * a {@link Routing}: everything goes on, or recipients are split into groups with their own outcomes.
 * A stage that throws defers its recipients with a 4xx: the pipeline fails closed.
 */
public interface Stage {

    /** A short name for logs. */
    String name();

    Routing apply(MailItem item) throws Exception;
}
