package org.mailseal.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.mailseal.smtp.SessionInfo;
import org.mailseal.smtp.Transaction;

/** The Received field the gateway prepends to each message (RFC 5321 §4.4, RFC 5322 §3.6.7). */
public final class TraceHeader {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private TraceHeader() {
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
