package org.mailseal.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One SMTP reply: a basic code (RFC 5321 §4.2), an enhanced status code (RFC 3463, sent because we
 * advertise ENHANCEDSTATUSCODES, RFC 2034 §3) and text. Multi-line replies use {@code code-} continuation.
 */
public record SmtpReply(int code, String enhanced, List<String> lines) {

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("bad reply code " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("empty reply");
        }
    }

    public static SmtpReply of(int code, String enhanced, String text) {
        return new SmtpReply(code, enhanced, List.of(text));
    }

    /** A reply with no enhanced code (greeting, 354, 334). */
    public static SmtpReply plain(int code, String text) {
        return new SmtpReply(code, null, List.of(text));
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /** The single-line text form, as used in logs: {@code 250 2.0.0 Ok}. */
    public String oneLine() {
        return code + (enhanced != null ? " " + enhanced : "") + " " + String.join(" ", lines);
    }

    /** Wire form with CRLF line ends. */
    public byte[] toWire() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            if (enhanced != null) {
                sb.append(enhanced).append(' ');
            }
            sb.append(lines.get(i)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return oneLine();
    }

    // Replies used in more than one place.
    public static final SmtpReply OK = of(250, "2.0.0", "Ok");
    public static final SmtpReply TEMP_ERROR = of(451, "4.3.0", "Error: queue file write error, try again later");
    public static final SmtpReply TIMEOUT = of(421, "4.4.2", "Error: timeout exceeded");
    public static final SmtpReply SHUTDOWN = of(421, "4.3.2", "Service shutting down, closing transmission channel");
}
