package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;
import org.mailseal.mime.RawHeader;
import org.mailseal.smtp.SmtpReply;

/** RFC 5321 §6.3: a message with too many Received fields is in a loop and is rejected. */
public final class HopCountStage implements Stage {

    private final int maxHops;

    public HopCountStage(int maxHops) {
        this.maxHops = maxHops;
    }

    @Override
    public String name() {
        return "hops";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        RawHeader header;
        try {
            header = item.header();
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE)); // the first stage: checked here, once
        }
        long hops = header.fields().stream().filter(f -> f.is("Received")).count();
        if (hops > maxHops) {
            return Routing.all(item, Outcome.reject(SmtpReply.of(554, "5.4.6", "Error: too many hops (" + hops + " Received fields); mail loop?")));
        }
        return Routing.proceed(item);
    }
}
