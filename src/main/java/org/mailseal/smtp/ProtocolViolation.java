package org.mailseal.smtp;

import java.io.IOException;

/** A client broke the wire framing (bare CR or LF); the session answers {@link #reply()} and closes. */
public final class ProtocolViolation extends IOException {
    private final SmtpReply reply;

    public ProtocolViolation(SmtpReply reply) {
        super(reply.oneLine());
        this.reply = reply;
    }

    public SmtpReply reply() {
        return reply;
    }
}
