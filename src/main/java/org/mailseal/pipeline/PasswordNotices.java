package org.mailseal.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mailseal.mail.Address;

/**
 * Generated PDF passwords, held per message from the PDF stage until the listener has the next hop's
 * answer: then each delivered PDF's password goes to the sender in a notification of its own (never in
 * the mail to the recipient), and every password is wiped.
 */
public final class PasswordNotices {

    /** The password of the PDF sent to {@code recipient}; {@code subject} is the message's, decoded. */
    public record Notice(Address recipient, String subject, char[] password) {
        void wipe() {
            Arrays.fill(password, '\0');
        }
    }

    // No 0/O, 1/l/I: read aloud over the phone. 20 of 57 characters: about 116 bits.
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    static final int LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, List<Notice>> pending = new ConcurrentHashMap<>();

    /** A new strong password (PDF key derivation is cheap, so the password carries the strength). */
    public static char[] generate() {
        char[] pw = new char[LENGTH];
        for (int i = 0; i < pw.length; i++) {
            pw[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        return pw;
    }

    void add(String queueId, Notice n) {
        pending.computeIfAbsent(queueId, q -> java.util.Collections.synchronizedList(new ArrayList<>())).add(n);
    }

    /** Takes the message's notices (the caller wipes them). */
    List<Notice> take(String queueId) {
        List<Notice> n = pending.remove(queueId);
        return n == null ? List.of() : List.copyOf(n);
    }

    /** The notification to the sender (RFC 5322, plain text), written to {@code out}. */
    static void write(Path out, String hostname, String queueId, Address sender, Notice n) throws IOException {
        String host = hostname.replaceAll("[^A-Za-z0-9.-]", "");
        String subject = n.subject().codePoints().filter(c -> c >= 0x20 && c != 0x7f)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        String text = "From: Mail Gateway <MAILER-DAEMON@" + host + ">\r\n"
                + "To: <" + sender + ">\r\n"
                + "Subject: PDF password for your message to " + n.recipient() + "\r\n"
                + "Date: " + TraceHeader.now() + "\r\n"
                + "Message-ID: <" + queueId + ".pdf." + Math.abs(RANDOM.nextLong()) + "@" + host + ">\r\n"
                + "Auto-Submitted: auto-generated\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n"
                + "\r\n"
                + "Your message \"" + subject + "\" to " + n.recipient() + " was sent as an\r\n"
                + "encrypted PDF, because no OpenPGP key or S/MIME certificate is known\r\n"
                + "for that recipient. The PDF opens with this password:\r\n"
                + "\r\n"
                + "    " + new String(n.password()) + "\r\n"
                + "\r\n"
                + "Give it to the recipient by phone or in person, never by email.\r\n"
                + "(mailseal on " + host + ", queue id " + queueId + ")\r\n";
        Files.write(out, text.getBytes(StandardCharsets.UTF_8));
    }
}
