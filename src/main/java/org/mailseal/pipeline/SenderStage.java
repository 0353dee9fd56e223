package org.mailseal.pipeline;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.RawHeader;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An authenticated user may write only its own addresses in From, for plaintext mail too (the envelope
 * sender is checked at MAIL already, as Postfix's reject_sender_login_mismatch does). Mail from a
 * session without SMTP AUTH is not judged here. Encrypted mail is checked again on its inner From
 * after decryption.
 */
final class SenderStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("sender");

    private final GatewayHandler.Ownership addresses;

    /** {@code addresses}: whether a user owns an address (its login or a registered alias; the user store in the gateway). */
    SenderStage(GatewayHandler.Ownership addresses) {
        this.addresses = addresses;
    }

    @Override
    public String name() {
        return "sender";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        String user = item.session().authUser();
        if (user == null) {
            return Routing.proceed(item);
        }
        RawHeader h = item.header();
        String reason = null;
        int froms = 0;
        for (RawHeader.Field f : h.fields()) {
            if (!f.is("From")) {
                continue;
            }
            froms++;
            try {
                for (InternetAddress a : InternetAddress.parseHeader(f.value(), false)) {
                    if (a.getAddress() == null || !addresses.owns(user, a.getAddress())) {
                        reason = "From <" + a.getAddress() + "> is not owned by user " + user;
                    }
                }
            } catch (AddressException e) {
                reason = "From is not a valid address list";
            }
        }
        if (froms > 1 && reason == null) {
            reason = "more than one From field"; // RFC 5322 §3.6: at most one
        }
        if (reason == null) {
            return Routing.proceed(item);
        }
        log.info("{}: reject: {}", item.queueId(), reason);
        return new Routing().reject(item, SmtpReply.of(553, "5.7.1", "Error: " + reason));
    }
}
