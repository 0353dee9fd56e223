package org.mailseal.smtp;

import java.time.Instant;
import java.util.List;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.SessionInfo;

/** One accepted mail transaction: the envelope as received, before any data. */
public record Transaction(String queueId, SessionInfo session, MailFrom mailFrom, List<RcptTo> recipients, Instant started) {
    public Transaction {
        recipients = List.copyOf(recipients);
    }
}
