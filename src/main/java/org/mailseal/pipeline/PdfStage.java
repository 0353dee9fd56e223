package org.mailseal.pipeline;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.mailseal.crypto.pdf.SealedPdf;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Treatment;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.Encryption;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a group the policy marked {@link Encryption.Pdf} (one recipient without a key) into a carrier
 * mail: the original header fields except the MIME ones, a short plain-text part that says what the
 * attachment is and how to open it (never the password), and the message as an AES-256 PDF
 * ({@code message.pdf}). Any failure throws, and the pipeline defers the recipient: nothing leaves in
 * plaintext. A generated password is handed to {@link PasswordNotices} for the sender.
 */
public final class PdfStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("pdf");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A recipient's PDF password (wiped after use), or empty when none is set. */
    public interface Passwords {
        Optional<char[]> of(String email) throws Exception;
    }

    /** The secure reply link for one PDF (a one-time token), or empty when there is none (no reply form, null sender). */
    public interface ReplyLinks {
        Optional<String> linkFor(String queueId, org.mailseal.mail.Address sender, org.mailseal.mail.Address recipient, String subject,
                                 String messageId) throws Exception;

        ReplyLinks NONE = (q, s, r, subject, id) -> Optional.empty();
    }

    /** A recipient's secret for derived passwords, made on first use. */
    public interface Secrets {
        byte[] of(String email) throws Exception;

        Secrets NONE = email -> {
            throw new IllegalStateException("derived PDF passwords need the master key");
        };
    }

    private final Spool spool;
    private final ReplyLinks replyLinks;
    private final Secrets secrets;
    private final Passwords passwords;
    private final PasswordNotices notices;
    private final boolean attachOriginal;
    private final String hostname;

    public PdfStage(Spool spool, Passwords passwords, PasswordNotices notices, boolean attachOriginal, String hostname, ReplyLinks replyLinks,
                    Secrets secrets) {
        this.replyLinks = replyLinks;
        this.secrets = secrets;
        this.spool = spool;
        this.passwords = passwords;
        this.notices = notices;
        this.attachOriginal = attachOriginal;
        this.hostname = hostname;
    }

    @Override
    public String name() {
        return "pdf";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        if (!(item.treatment() instanceof Encryption.Pdf pdf)) {
            return Routing.proceed(item);
        }
        String email = org.mailseal.mail.Address.normalise(pdf.recipient().address().toString());
        Path sealed = spool.workFile(item.queueId(), ".pdf");
        Path carrier = spool.workFile(item.queueId(), ".pdfmail");
        RawHeader header;
        try {
            header = item.header();
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        }
        String messageIdField = header.value("Message-ID");
        String reference = org.mailseal.crypto.pdf.DerivedPassword.reference(messageIdField != null ? messageIdField : item.queueId());
        char[] password = switch (pdf.password()) {
            case GENERATED -> PasswordNotices.generate();
            case DERIVED -> {
                byte[] secret = secrets.of(email);
                try {
                    yield org.mailseal.crypto.pdf.DerivedPassword.derive(secret, reference);
                } finally {
                    Arrays.fill(secret, (byte) 0);
                }
            }
            case RECIPIENT -> passwords.of(email).orElseThrow(() -> new IOException("no PDF password for <" + email + "> any more"));
        };
        String rawSubject = header.value("Subject");
        String subject = rawSubject == null ? ""
                : org.apache.james.mime4j.codec.DecoderUtil.decodeEncodedWords(rawSubject, org.apache.james.mime4j.codec.DecodeMonitor.SILENT);
        String messageId = header.value("Message-ID");
        String reply = item.from().sender().isNull() ? null
                : replyLinks.linkFor(item.queueId(), item.from().sender(), pdf.recipient().address(), subject, messageId == null ? "" : messageId)
                        .orElse(null);
        try {
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(sealed), 65536)) {
                SealedPdf.write(item::open, o, password, attachOriginal, reply);
            }
            if (pdf.password() == org.mailseal.policy.PdfPassword.GENERATED) {
                // Held until the next hop took the PDF; then it goes to the sender, and is wiped.
                notices.add(item.queueId(), new PasswordNotices.Notice(pdf.recipient().address(), subject, password.clone()));
            }
        } finally {
            Arrays.fill(password, '\0');
        }
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(carrier), 65536)) {
            writeCarrier(header, sealed, o, howToOpen(pdf.password(), reference));
        } finally {
            Files.deleteIfExists(sealed);
        }
        log.info("{}: to=<{}>, sent as an encrypted PDF ({}): {} -> {} bytes", item.queueId(), pdf.recipient().address(), pdf.why(),
                item.size(), Files.size(carrier));
        return Routing.proceed(item.withContent(carrier).withTreatment(new Treatment.Transformed("pdf")));
    }

    /** RFC 2046 §5.1.3 multipart/mixed: the explanation, then the PDF in base64 (RFC 2045 §6.8, 76-character lines). */
    /** The carrier's words on the password, by where it comes from; never the password itself. */
    static String howToOpen(org.mailseal.policy.PdfPassword source, String reference) {
        return switch (source) {
            case RECIPIENT -> "file message.pdf, which opens in any PDF reader with your PDF password:\r\n"
                    + "the password you were given for encrypted mail from this sender's\r\n"
                    + "organisation. The password is never sent by mail.\r\n";
            case DERIVED -> "file message.pdf, which opens in any PDF reader with a password of its\r\n"
                    + "own. Ask the sender, by phone, for the password of PDF " + reference + ".\r\n"
                    + "The password is never sent by mail.\r\n";
            case GENERATED -> "file message.pdf, which opens in any PDF reader with a password of its\r\n"
                    + "own. The sender has it and will tell you, by phone or in person; it is\r\n"
                    + "never sent by mail. (PDF " + reference + ")\r\n";
        };
    }

    void writeCarrier(RawHeader original, Path pdf, OutputStream o, String howToOpen) throws IOException {
        String boundary = "=_mailseal_pdf_" + HexFormat.of().formatHex(randomBytes());
        for (RawHeader.Field f : original.fields()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (n.startsWith("content-") || n.equals("mime-version")) {
                continue;
            }
            o.write(f.raw());
        }
        write(o, "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n"
                + "\r\n"
                + "This is a message in MIME format.\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "Content-Transfer-Encoding: 7bit\r\n"
                + "\r\n"
                + "This message is encrypted. Its text and attachments are in the attached\r\n"
                + howToOpen
                + "\r\n"
                + "Sent by the mail gateway " + hostname.replaceAll("[^A-Za-z0-9.-]", "") + ".\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/pdf; name=\"message.pdf\"\r\n"
                + "Content-Disposition: attachment; filename=\"message.pdf\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "\r\n");
        byte[] line = new byte[57 * 64]; // 64 base64 lines of 76 characters at a time
        Base64.Encoder mime = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'});
        try (InputStream in = Files.newInputStream(pdf)) {
            for (int n; (n = in.readNBytes(line, 0, line.length)) > 0; ) {
                o.write(mime.encode(n == line.length ? line : Arrays.copyOf(line, n)));
                o.write('\r');
                o.write('\n');
            }
        }
        write(o, "--" + boundary + "--\r\n");
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void write(OutputStream o, String s) throws IOException {
        o.write(s.getBytes(StandardCharsets.US_ASCII));
    }
}
