package org.mailseal.pipeline;

import java.io.InputStream;
import java.util.List;
import org.mailseal.mime.HeaderScanner;
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
        List<HeaderScanner.Field> fields;
        try (InputStream in = item.open()) {
            fields = HeaderScanner.read(in, 4L * 1024 * 1024);
        }
        long hops = HeaderScanner.count(fields, "Received");
        if (hops > maxHops) {
            return Routing.all(item, Outcome.reject(SmtpReply.of(554, "5.4.6", "Error: too many hops (" + hops + " Received fields); mail loop?")));
        }
        return Routing.proceed(item);
    }
}
