package org.mailseal.smtp;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.SessionInfo;

/**
 * What the SMTP/LMTP server asks of the gateway. The server does the protocol; the handler decides
 * relay access, spools and delivers. Call order per transaction: {@link #newQueueId()},
 * {@link #checkRecipient} for each RCPT, {@link #openSpool} before the data, {@link #deliver} after it.
 */
public interface MailHandler {

    /** A new, short, unique queue id. */
    String newQueueId();

    /** Relay control at RCPT time; null accepts the recipient, otherwise the rejection reply. */
    SmtpReply checkRecipient(SessionInfo session, MailFrom from, RcptTo rcpt);

    /** Checks the reverse path at MAIL (e.g. that an authenticated user owns it); null accepts. */
    default SmtpReply checkSender(SessionInfo session, MailFrom from) {
        return null;
    }

    /** Opens the spool file that will receive the message data. */
    SpoolSink openSpool(Transaction tx) throws IOException;

    /**
     * Processes and relays a spooled, committed message, and returns one reply for SMTP, or one reply
     * per recipient in RCPT order for LMTP (RFC 2033 §4.2). It must not return a 2xx unless the message
     * is safe: accepted by the next hop or durably queued.
     */
    List<SmtpReply> deliver(Transaction tx, SpoolSink spool, boolean perRecipient);

    /** The outcome of a SASL credential check. */
    enum AuthResult { OK, FAILED, TEMPORARY }

    /** Checks SASL credentials; {@code TEMPORARY} when the check cannot run now (RFC 4954 §6: 454 4.7.0). */
    AuthResult authenticate(String user, String password);

    /** A spool file being written. */
    interface SpoolSink {
        OutputStream out();

        /** Where the data is. */
        java.nio.file.Path path();

        /** Flushes the data (and fsyncs it, where the spool is what guarantees the message). */
        void commit() throws IOException;

        /** Deletes the spool file (after an error, or once delivery is settled). */
        void discard();
    }
}
