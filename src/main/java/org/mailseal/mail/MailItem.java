package org.mailseal.mail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.mailseal.mime.CountingInputStream;
import org.mailseal.mime.RawHeader;

/**
 * A message on its way through the pipeline: the envelope, some of its recipients (stages split
 * recipients into groups, each its own MailItem), and the message bytes in a spool file. Immutable; a
 * transforming stage returns a copy that points at a new file. {@code sentCopy}, if set, is the
 * sender's encrypted copy for the IMAP Sent folder.
 */
public record MailItem(String queueId, SessionInfo session, MailFrom from, List<Recipient> recipients,
                       Path content, Instant received, Treatment treatment, Path sentCopy, String releaseClaim,
                       String subjectTag, Parsed parsed, boolean secureRequested, String authenticatedFrom) {

    /** The largest header section the gateway takes (larger: {@code Outcome.HEADER_TOO_LARGE}). */
    public static final int MAX_HEADER = RawHeader.MAX_SECTION;

    public MailItem(String queueId, SessionInfo session, MailFrom from, List<Recipient> recipients, Path content, Instant received) {
        this(queueId, session, from, recipients, content, received, Treatment.NONE, null, null, null, new Parsed(), false, null);
    }

    /**
     * The content's header, parsed once per content file (the copies a stage makes for recipient groups
     * share it), and where the body starts. Parsed again only when a stage replaces the content.
     */
    public static final class Parsed {
        private RawHeader header;
        private long bodyOffset;

        synchronized RawHeader header(Path content) throws IOException {
            if (header == null) {
                try (CountingInputStream in = new CountingInputStream(Files.newInputStream(content))) {
                    header = RawHeader.read(in, MAX_HEADER);
                    bodyOffset = in.count();
                }
            }
            return header;
        }

        synchronized long bodyOffset(Path content) throws IOException {
            header(content);
            return bodyOffset;
        }
    }

    /** The header, parsed at most once; {@link RawHeader.TooLargeException} over {@link #MAX_HEADER}. */
    public RawHeader header() throws IOException {
        return parsed.header(content);
    }

    /** The content after the header section (and its empty line), buffered. */
    public InputStream openBody() throws IOException {
        long skip = parsed.bodyOffset(content);
        InputStream in = new java.io.BufferedInputStream(Files.newInputStream(content), 65536);
        in.skipNBytes(skip);
        return in;
    }

    /**
     * The scan stage's spam tag for the Subject ({@code [SPAM]}): already in the Subject inside; the
     * encrypt stage puts it in front of the outer placeholder. Never a header field of its own, so no
     * internal field can leave the gateway.
     */
    public MailItem withSubjectTag(String tag) {
        return new MailItem(queueId, session, from, recipients, content, received, treatment, sentCopy, releaseClaim, tag, parsed, secureRequested, authenticatedFrom);
    }

    /**
     * The quarantine id this message claims to be released from (the {@code X-Mailseal-Released} field,
     * taken out of the header by the sanitize stage); only a claim until the scan stage checks it.
     */
    public MailItem withReleaseClaim(String id) {
        return new MailItem(queueId, session, from, recipients, content, received, treatment, sentCopy, id, subjectTag, parsed, secureRequested, authenticatedFrom);
    }

    public MailItem {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a mail item needs recipients");
        }
    }

    /**
     * The sender asked for encryption of this message (the subject trigger, already taken out of the
     * Subject by the stage that found it): recipients without a key get the PDF or are refused, never
     * plaintext.
     */
    public MailItem withSecureRequested() {
        return new MailItem(queueId, session, from, recipients, content, received, treatment, sentCopy, releaseClaim, subjectTag, parsed, true, authenticatedFrom);
    }

    /**
     * The From domain as proven by the authentication stage: DMARC passed for it (an aligned DKIM signature
     * or SPF identity, RFC 7489 §3.1); null when not proven. Only what the gateway verified sets it, never
     * a header the sender wrote.
     */
    public MailItem withAuthenticatedFrom(String domain) {
        return new MailItem(queueId, session, from, recipients, content, received, treatment, sentCopy, releaseClaim, subjectTag, parsed, secureRequested,
                domain);
    }

    public MailItem withRecipients(List<Recipient> subset) {
        return new MailItem(queueId, session, from, subset, content, received, treatment, sentCopy, releaseClaim, subjectTag, parsed, secureRequested, authenticatedFrom);
    }

    public MailItem withContent(Path newContent) {
        return new MailItem(queueId, session, from, recipients, newContent, received, treatment, sentCopy, releaseClaim, subjectTag, new Parsed(), secureRequested, authenticatedFrom);
    }

    public MailItem withTreatment(Treatment t) {
        return new MailItem(queueId, session, from, recipients, content, received, t, sentCopy, releaseClaim, subjectTag, parsed, secureRequested, authenticatedFrom);
    }

    /** With the sender's encrypted Sent copy (a work file), queued for IMAP once the message is relayed. */
    public MailItem withSentCopy(Path copy) {
        return new MailItem(queueId, session, from, recipients, content, received, treatment, copy, releaseClaim, subjectTag, parsed, secureRequested, authenticatedFrom);
    }

    public InputStream open() throws IOException {
        return Files.newInputStream(content);
    }

    public long size() throws IOException {
        return Files.size(content);
    }

    /**
     * Who sends this message, for outbound keys and policy: the SASL user if it is an address, else the
     * envelope sender (a trusted network's relay); null for the null sender.
     */
    public String senderIdentity() {
        String auth = session.authUser();
        if (auth != null && auth.contains("@")) {
            return Address.normalise(auth);
        }
        if (from.sender().isNull()) {
            return null;
        }
        return Address.normalise(from.sender().toString());
    }
}
