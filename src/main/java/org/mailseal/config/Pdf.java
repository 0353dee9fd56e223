package org.mailseal.config;

import java.util.List;
import java.util.Locale;

/**
 * PDF encryption for outbound recipients without a key. {@code fallback} (default on; it matters only
 * where a password can be had): a recipient with neither an
 * OpenPGP key nor an S/MIME certificate but with a PDF password gets the message as a password-protected
 * PDF, before {@code outbound.encrypt} decides between rejecting (mandatory) and plain (opportunistic);
 * {@code forceDomains}: recipient domains (or single addresses) that always get the PDF, keys or not (no
 * password: rejected);
 * {@code subjectTrigger} (default {@code [secure]}, empty: off): text in the Subject by which a sender
 * asks for encryption of one message; it is removed, and that message's recipients without a key get
 * the PDF (with or without {@code fallback}) or are refused, never plaintext;
 * {@code attachOriginal}: embed the original message as {@code message.eml} in the PDF;
 * {@code generatePasswords}: a recipient without a PDF password gets a PDF with a new random password,
 * which the sender is sent in a separate notification to pass on by phone (SMTP and LMTP listeners only:
 * a milter cannot send the notification); {@code derivePasswords}: a recipient without a password of its
 * own gets a PDF whose password is derived from a secret kept for that recipient and the PDF's reference
 * (each PDF its own password; {@code mailseal pdf derive} tells it), tried before a generated one; {@code reply}: the secure reply form ({@link PdfReply}).
 */
public record Pdf(Boolean fallback, List<String> forceDomains, String subjectTrigger, Boolean attachOriginal, Boolean generatePasswords,
                  Boolean derivePasswords, PdfReply reply) {
    public Pdf {
        fallback = fallback == null || fallback;
        forceDomains = forceDomains != null ? forceDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList() : List.of();
        subjectTrigger = subjectTrigger != null ? subjectTrigger.strip() : "[secure]";
        attachOriginal = attachOriginal != null && attachOriginal;
        generatePasswords = generatePasswords != null && generatePasswords;
        derivePasswords = derivePasswords != null && derivePasswords;
        reply = reply != null ? reply : Checks.defaults(PdfReply.class);
        for (String d : forceDomains) {
            if (!d.matches("([^@\\s]+@)?[a-z0-9.-]+")) {
                throw new IllegalArgumentException("pdf.forceDomains: not a domain or an address: '" + d + "'");
            }
        }
    }

    /** True when the recipient {@code email} (normal form), or its whole {@code domain}, always gets the PDF. */
    public boolean forced(String email, String domain) {
        return forceDomains.contains(domain.toLowerCase(Locale.ROOT)) || forceDomains.contains(email.toLowerCase(Locale.ROOT));
    }
}
