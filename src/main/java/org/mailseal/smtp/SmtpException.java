package org.mailseal.smtp;

/** A command was refused; the session answers {@link #reply()} and carries on. */
public final class SmtpException extends Exception {
    private final SmtpReply reply;

    public SmtpException(SmtpReply reply) {
        super(reply.oneLine(), null, false, false);
        this.reply = reply;
    }

    public SmtpException(int code, String enhanced, String text) {
        this(SmtpReply.of(code, enhanced, text));
    }

    public SmtpReply reply() {
        return reply;
    }
}
