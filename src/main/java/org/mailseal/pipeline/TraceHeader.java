package org.mailseal.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.mailseal.mail.SessionInfo;
import org.mailseal.smtp.Transaction;

/**
 * The Received field the gateway prepends to each message (RFC 5321 §4.4, RFC 5322 §3.6.7). It belongs
 * to the transport, not to the message: encryption keeps it outside, so what the recipient decrypts is the
 * message as it was received ({@link #split}).
 */
public final class TraceHeader {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private TraceHeader() {
    }

    /** Now, as an RFC 5322 §3.3 date-time (the form the trace fields, bounces and notifications use). */
    static String now() {
        return DATE.format(java.time.ZonedDateTime.now());
    }

    /** The header without the gateway's own trace field for {@code queueId}, and that field's bytes (or none). */
    public record Split(org.mailseal.mime.RawHeader rest, byte[] trace) {
    }

    // The end of our field: "; " and the date as DATE writes it, then CRLF. What follows in the same
    // RawHeader field is the sender's (a first line that began with whitespace reads as a continuation).
    private static final java.util.regex.Pattern END = java.util.regex.Pattern.compile(
            "; [A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\r\n");

    /**
     * Takes the gateway's own Received field out of {@code h}: the first field, as the gateway prepends it,
     * and only if it names {@code queueId} (a sender cannot know the id; a look-alike further down stays
     * where it is). A message whose first line was folded onto that field gets it back as a field of its
     * own, byte for byte.
     */
    public static Split split(org.mailseal.mime.RawHeader h, String queueId) {
        java.util.List<org.mailseal.mime.RawHeader.Field> fields = h.fields();
        if (fields.isEmpty() || !fields.get(0).is("Received")) {
            return new Split(h, new byte[0]);
        }
        byte[] raw = fields.get(0).raw();
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int by = text.indexOf(" (mailseal) with ");
        int id = by < 0 ? -1 : text.indexOf(" id " + queueId, by);
        java.util.regex.Matcher end = END.matcher(text);
        if (id < 0 || !end.find(id)) {
            return new Split(h, new byte[0]);
        }
        java.util.List<org.mailseal.mime.RawHeader.Field> rest = new java.util.ArrayList<>();
        if (end.end() < raw.length) {
            rest.add(new org.mailseal.mime.RawHeader.Field("", java.util.Arrays.copyOfRange(raw, end.end(), raw.length)));
        }
        rest.addAll(fields.subList(1, fields.size()));
        return new Split(org.mailseal.mime.RawHeader.of(rest, h.hasBody()), java.util.Arrays.copyOf(raw, end.end()));
    }

    public static byte[] received(String hostname, Transaction tx) {
        SessionInfo s = tx.session();
        var x = s.xforward();
        String helo = x.helo() != null ? x.helo() : s.helo();
        String name = x.name() != null ? x.name() : s.clientName();
        String addr = x.addr() != null ? x.addr() : s.clientAddress().getHostAddress();
        StringBuilder sb = new StringBuilder("Received: from ").append(helo == null ? "unknown" : helo)
                .append(" (").append(name).append(" [").append(addr).append("])\r\n");
        if (s.tls() != null) {
            sb.append("\t(using ").append(s.tls()).append(")\r\n");
        }
        sb.append("\tby ").append(hostname).append(" (mailseal) with ").append(s.protocol(tx.mailFrom().smtputf8()))
                .append(" id ").append(tx.queueId());
        if (tx.recipients().size() == 1) {
            sb.append("\r\n\tfor <").append(tx.recipients().get(0).recipient()).append('>');
        }
        sb.append("; ").append(ZonedDateTime.now().format(DATE)).append("\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
