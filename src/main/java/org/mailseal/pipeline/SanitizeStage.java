package org.mailseal.pipeline;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.RawHeader;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes header fields that claim mailseal's own identity, so that nobody can spoof them: the
 * gateway's {@code X-Mailseal-*} fields (the quarantine release marker is taken off too and kept on the
 * mail item as a claim the scan stage checks against the quarantine), {@code Authentication-Results}
 * and {@code ARC-Authentication-Results} whose authserv-id is our host name (RFC 8601 §5, parsed as
 * §2.2 writes it: comments, a quoted string, a trailing dot), a {@code X-Spam-Subject-Tag} (an internal field of older mailseal versions), and, when mailseal scans itself, every
 * {@code X-Spam-*} field (the scanners' verdict is the one that counts). A message without such
 * fields is not touched (byte-exact).
 */
public final class SanitizeStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("sanitize");

    private final Spool spool;
    private final String hostname;
    private final boolean scanning;

    public SanitizeStage(Spool spool, String hostname, boolean scanning) {
        this.spool = spool;
        this.hostname = hostname.toLowerCase(Locale.ROOT);
        this.scanning = scanning;
    }

    @Override
    public String name() {
        return "sanitize";
    }

    boolean spoofed(RawHeader.Field f) {
        String n = f.name().toLowerCase(Locale.ROOT);
        if (n.startsWith("x-mailseal-")) {
            return true; // every one: ours are added after this stage; the release marker is kept as a claim only
        }
        if (n.equals("x-spam-subject-tag")) {
            return true;
        }
        if (scanning && n.startsWith("x-spam-")) {
            return true;
        }
        if (n.equals("authentication-results")) {
            return hostname.equals(AuthservId.of(f.value(), false));
        }
        if (n.equals("arc-authentication-results")) {
            return hostname.equals(AuthservId.of(f.value(), true));
        }
        return false;
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        RawHeader h = item.header();
        List<String> removed = new ArrayList<>();
        for (RawHeader.Field f : h.fields()) {
            if (spoofed(f)) {
                removed.add(f.name());
            }
        }
        String released = h.value(ScanStage.RELEASED);
        MailItem claimed = released != null ? item.withReleaseClaim(released.trim()) : item;
        if (removed.isEmpty()) {
            return Routing.proceed(claimed);
        }
        Path out = spool.workFile(item.queueId(), ".san");
        try (InputStream in = item.openBody()) {
            org.mailseal.mime.HeaderRewriter.rewrite(out, h, in, fields -> fields.stream().filter(f -> !spoofed(f)).toList());
        }
        log.info("{}: removed header fields that claim mailseal's identity: {}", item.queueId(), String.join(", ", removed));
        return Routing.proceed(claimed.withContent(out));
    }
}
