package org.mailseal.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.codec.EncoderUtil;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.SessionInfo;
import org.mailseal.spool.QueueIds;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reply written in the PDF reply form, as mail from the PDF's recipient to its sender, through the
 * flow's inbound lane (scan, policy, encrypt, relay), so it is encrypted at rest like any mail to the
 * sender. Delivered means the next hop took it.
 */
public final class ReplySubmission {

    private static final Logger log = LoggerFactory.getLogger("reply");

    private final Spool spool;
    private final Pipeline pipeline;
    private final String hostname;

    public ReplySubmission(Spool spool, Pipeline pipeline, String hostname) {
        this.spool = spool;
        this.pipeline = pipeline;
        this.hostname = hostname.replaceAll("[^A-Za-z0-9.-]", "");
    }

    /** True once the next hop accepted the reply. */
    public boolean submit(String clientAddress, String recipient, String sender, String subject, String messageId, String text) throws IOException {
        Address from = Address.parse(recipient);
        Address to = Address.parse(sender);
        String queueId = QueueIds.next();
        String date = TraceHeader.now();
        String received = "Received: from reply-form ([" + InetAddress.getByName(clientAddress).getHostAddress() + "])\r\n\tby " + hostname
                + " (mailseal PDF reply form) with HTTPS id " + queueId + "\r\n\tfor <" + to + ">; " + date + "\r\n";
        Spool.SpoolFile f = spool.create(queueId, received.getBytes(StandardCharsets.US_ASCII));
        try {
            String id = messageId.matches("<[\\x21-\\x7e]{1,900}>") ? messageId : null;
            String re = subject.regionMatches(true, 0, "Re:", 0, 3) ? subject : "Re: " + subject;
            StringBuilder h = new StringBuilder()
                    .append("From: <").append(from).append(">\r\n")
                    .append("To: <").append(to).append(">\r\n")
                    .append("Subject: ").append(EncoderUtil.encodeIfNecessary(re.replaceAll("[\\r\\n]", " "), EncoderUtil.Usage.TEXT_TOKEN, 9)).append("\r\n")
                    .append("Date: ").append(date).append("\r\n")
                    .append("Message-ID: <").append(queueId).append(".reply@").append(hostname).append(">\r\n");
            if (id != null) {
                h.append("In-Reply-To: ").append(id).append("\r\nReferences: ").append(id).append("\r\n");
            }
            h.append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            OutputStream o = f.out();
            o.write(h.toString().getBytes(StandardCharsets.UTF_8));
            String body = text.replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
            o.write(Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encode(body.getBytes(StandardCharsets.UTF_8)));
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            f.commit();
            SessionInfo session = new SessionInfo(InetAddress.getByName(clientAddress), "reply-form", "reply-form", true, false, "HTTPS", null,
                    org.mailseal.mail.XForward.EMPTY);
            MailItem item = new MailItem(queueId, session, MailFrom.of(from), List.of(new Recipient(RcptTo.of(to), Direction.INBOUND, 0)), f.path(),
                    Instant.now());
            log.info("{}: PDF reply form: from=<{}>, to=<{}>", queueId, from, to);
            List<RecipientResult> r = pipeline.run(item);
            Outcome o2 = r.get(0).outcome();
            log.info("{}: to=<{}>, status={} ({})", queueId, to, o2.kind().name().toLowerCase(Locale.ROOT), o2.reply().oneLine());
            return o2.kind() == Outcome.Kind.DELIVERED;
        } finally {
            f.discard();
            spool.cleanWork(queueId);
        }
    }
}
