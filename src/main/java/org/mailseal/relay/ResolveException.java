package org.mailseal.relay;

import org.mailseal.smtp.SmtpReply;

/** A next hop could not be found; the reply says whether that is final (5xx) or not (4xx). */
final class ResolveException extends Exception {
    private final SmtpReply reply;

    ResolveException(SmtpReply reply) {
        super(reply.oneLine(), null, false, false);
        this.reply = reply;
    }

    SmtpReply reply() {
        return reply;
    }
}
