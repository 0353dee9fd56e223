package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;
import org.mailseal.smtp.SmtpReply;

/**
 * The milter lane's exit: the MTA, not mailseal, delivers. The group's final form (its content file and
 * outcome) goes back to the milter session, which replaces the message's header fields and body with it.
 * The Sent copy is queued here, keyed by message, so an MTA that retries does not make a second one.
 */
public final class InPlaceStage implements Stage {

    static final SmtpReply IN_PLACE = SmtpReply.of(250, "2.0.0", "Ok: changed in place");

    private final RelayStage.SentCopies sentCopies;

    public InPlaceStage(RelayStage.SentCopies sentCopies) {
        this.sentCopies = sentCopies;
    }

    @Override
    public String name() {
        return "in-place";
    }

    @Override
    public Routing apply(MailItem item) {
        sentCopies.queue(item);
        return Routing.all(item, Outcome.delivered(IN_PLACE, "milter"));
    }
}
