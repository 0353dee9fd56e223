package org.mailseal.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.mailseal.smtp.MailFrom;
import org.mailseal.smtp.SessionInfo;

/**
 * A message on its way through the pipeline: the envelope, some of its recipients (stages split
 * recipients into groups, each its own MailItem), and the message bytes in a spool file. Immutable; a
 * transforming stage returns a copy that points at a new file.
 */
public record MailItem(String queueId, SessionInfo session, MailFrom from, List<Recipient> recipients,
                       Path content, Instant received, Treatment treatment) {

    public MailItem(String queueId, SessionInfo session, MailFrom from, List<Recipient> recipients, Path content, Instant received) {
        this(queueId, session, from, recipients, content, received, Treatment.NONE);
    }

    public MailItem {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a mail item needs recipients");
        }
    }

    public MailItem withRecipients(List<Recipient> subset) {
        return new MailItem(queueId, session, from, subset, content, received, treatment);
    }

    public MailItem withContent(Path newContent) {
        return new MailItem(queueId, session, from, recipients, newContent, received, treatment);
    }

    public MailItem withTreatment(Treatment t) {
        return new MailItem(queueId, session, from, recipients, content, received, t);
    }

    public InputStream open() throws IOException {
        return Files.newInputStream(content);
    }

    public long size() throws IOException {
        return Files.size(content);
    }
}
