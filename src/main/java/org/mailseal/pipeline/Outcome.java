package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;
import org.mailseal.smtp.SmtpReply;

/**
 * What a stage decided for a group of recipients. {@code CONTINUE} hands the group to the next stage;
 * the others are final. {@code DELIVERED} is given only by the relay, once the next hop accepted.
 */
public record Outcome(Kind kind, SmtpReply reply, String relay) {

    public enum Kind { CONTINUE, REJECT, DEFER, QUARANTINE, DELIVERED }

    /** The one answer to a header section over {@link MailItem#MAX_HEADER}. */
    public static final SmtpReply HEADER_TOO_LARGE =
            SmtpReply.of(552, "5.3.4", "Error: message header exceeds " + MailItem.MAX_HEADER + " bytes");

    public static Outcome reject(SmtpReply reply) {
        if (!reply.isPermanent()) {
            throw new IllegalArgumentException("a rejection needs a 5xx reply: " + reply);
        }
        return new Outcome(Kind.REJECT, reply, null);
    }

    public static Outcome defer(SmtpReply reply) {
        if (!reply.isTransient()) {
            throw new IllegalArgumentException("a deferral needs a 4xx reply: " + reply);
        }
        return new Outcome(Kind.DEFER, reply, null);
    }

    public static Outcome quarantine(String reason) {
        return new Outcome(Kind.QUARANTINE, SmtpReply.of(250, "2.0.0", "Ok: quarantined"), reason);
    }

    public static Outcome delivered(SmtpReply reply, String relay) {
        return new Outcome(Kind.DELIVERED, reply, relay);
    }

    static final Outcome CONTINUE = new Outcome(Kind.CONTINUE, SmtpReply.OK, null);

    public boolean isFinal() {
        return kind != Kind.CONTINUE;
    }
}
