package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.codec.EncoderUtil;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subject trigger: a sender asks for encryption of one message by putting {@code pdf.subjectTrigger}
 * (e.g. {@code [secure]}, any case) in its Subject. The trigger is taken out of the Subject before the
 * message is signed or leaves, and the message is marked: its recipients without a key get the PDF or
 * are refused, never plaintext. Only a sender that passed the sender check reaches this stage, so the
 * claim is the sender's own.
 */
public final class SubjectTriggerStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("policy");

    private final Spool spool;
    private final String trigger;

    public SubjectTriggerStage(Spool spool, String trigger) {
        this.spool = spool;
        this.trigger = trigger;
    }

    @Override
    public String name() {
        return "subject-trigger";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        if (trigger.isEmpty()) {
            return Routing.proceed(item);
        }
        RawHeader h;
        try {
            h = item.header();
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        }
        RawHeader.Field subject = h.first("Subject");
        String without = subject == null ? null : without(decoded(subject.value()), trigger);
        if (without == null) {
            return Routing.proceed(item);
        }
        Path out = spool.workFile(item.queueId(), ".subject");
        try (InputStream in = item.openBody()) {
            HeaderRewriter.rewrite(out, h, in, fields -> {
                List<RawHeader.Field> edited = new ArrayList<>();
                boolean done = false;
                for (RawHeader.Field f : fields) {
                    if (!done && f.is("Subject")) {
                        // RFC 2047 §5 (1): encoded words where the remaining text needs them, so no raw 8-bit
                        // goes into a header of a message that may not travel with SMTPUTF8.
                        edited.add(HeaderRewriter.field("Subject", EncoderUtil.encodeIfNecessary(without, EncoderUtil.Usage.TEXT_TOKEN, 9)));
                        done = true;
                    } else {
                        edited.add(f);
                    }
                }
                return edited;
            });
        }
        log.info("{}: encryption requested in the Subject ({}): recipients without a key get the PDF or are refused", item.queueId(),
                trigger);
        return Routing.proceed(item.withContent(out).withSecureRequested());
    }

    private static String decoded(String raw) {
        return DecoderUtil.decodeEncodedWords(raw.replaceAll("\r?\n[ \t]", " ").strip(), DecodeMonitor.SILENT);
    }

    /** The subject without (every occurrence of) the trigger, or null when it is not there. */
    static String without(String subject, String trigger) {
        String lower = subject.toLowerCase(Locale.ROOT);
        String t = trigger.toLowerCase(Locale.ROOT);
        int at = lower.indexOf(t);
        if (at < 0) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (; at >= 0; at = lower.indexOf(t, from)) {
            b.append(subject, from, at);
            from = at + t.length();
        }
        b.append(subject.substring(from));
        return b.toString().replaceAll("\\s{2,}", " ").strip();
    }
}
