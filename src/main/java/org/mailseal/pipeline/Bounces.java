package org.mailseal.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;

/**
 * Builds a delivery status notification (RFC 3464, in a multipart/report per RFC 6522) for recipients
 * the next hop refused. It returns only the original header section (text/rfc822-headers), never the
 * body: a bounce must not carry message content out of the gateway.
 */
final class Bounces {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private Bounces() {
    }

    static void write(Path target, String hostname, MailItem original, List<RecipientResult> failed) throws IOException {
        String boundary = original.queueId() + ".bounce/" + hostname;
        StringBuilder sb = new StringBuilder();
        sb.append("From: MAILER-DAEMON@").append(hostname).append(" (Mail Delivery System)\r\n");
        sb.append("To: <").append(original.from().sender()).append(">\r\n");
        sb.append("Subject: Undelivered Mail Returned to Sender\r\n");
        sb.append("Date: ").append(ZonedDateTime.now().format(DATE)).append("\r\n");
        sb.append("Message-ID: <").append(original.queueId()).append(".bounce@").append(hostname).append(">\r\n");
        sb.append("Auto-Submitted: auto-replied\r\n"); // RFC 3834 §5
        sb.append("MIME-Version: 1.0\r\n");
        sb.append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").append(boundary).append("\"\r\n\r\n");
        sb.append("--").append(boundary).append("\r\n");
        sb.append("Content-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        sb.append("This is the mail system at host ").append(hostname).append(".\r\n\r\n");
        sb.append("Your message could not be delivered to one or more recipients.\r\n\r\n");
        for (RecipientResult r : failed) {
            sb.append("<").append(r.recipient().address()).append(">: ").append(r.outcome().reply().oneLine()).append("\r\n");
        }
        sb.append("\r\n--").append(boundary).append("\r\n");
        sb.append("Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n");
        sb.append("Reporting-MTA: dns; ").append(hostname).append("\r\n");
        sb.append("X-Mailseal-Queue-ID: ").append(original.queueId()).append("\r\n");
        if (original.from().envid() != null) {
            sb.append("Original-Envelope-Id: ").append(original.from().envid()).append("\r\n");
        }
        sb.append("Arrival-Date: ").append(original.received().atZone(java.time.ZoneId.systemDefault()).format(DATE)).append("\r\n");
        for (RecipientResult r : failed) {
            sb.append("\r\nFinal-Recipient: rfc822; ").append(r.recipient().address()).append("\r\n");
            if (r.recipient().rcpt().orcpt() != null) {
                sb.append("Original-Recipient: ").append(r.recipient().rcpt().orcpt()).append("\r\n");
            }
            sb.append("Action: failed\r\n");
            String status = r.outcome().reply().enhanced() != null ? r.outcome().reply().enhanced() : "5.0.0";
            sb.append("Status: ").append(status).append("\r\n");
            if (r.outcome().relay() != null && !r.outcome().relay().equals("none")) {
                sb.append("Remote-MTA: dns; ").append(r.outcome().relay()).append("\r\n");
            }
            sb.append("Diagnostic-Code: smtp; ").append(r.outcome().reply().oneLine()).append("\r\n");
        }
        sb.append("\r\n--").append(boundary).append("\r\n");
        sb.append("Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n");
        try (OutputStream out = Files.newOutputStream(target)) {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            copyHeaders(original, out);
            out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Copies the original header section, up to the first empty line, at most 64 KiB. */
    private static void copyHeaders(MailItem original, OutputStream out) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(original.open())) {
            int prev = -1;
            int b;
            long n = 0;
            boolean lineEmpty = true;
            while ((b = in.read()) >= 0 && n < 65536) {
                if (b == '\n') {
                    if (lineEmpty) {
                        break;
                    }
                    lineEmpty = true;
                } else if (b != '\r') {
                    lineEmpty = false;
                }
                out.write(b);
                prev = b;
                n++;
            }
            if (prev != '\n') {
                out.write('\r');
                out.write('\n');
            }
        }
    }
}
