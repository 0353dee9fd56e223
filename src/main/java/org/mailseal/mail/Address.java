package org.mailseal.mail;

import java.util.Locale;

/**
 * A mailbox, {@code local@domain} (RFC 5321 §4.1.2; UTF-8 per RFC 6531 §3.3), and the normal form keys
 * and policies are looked up by. The empty reverse path {@code <>} is
 * {@link #NULL_SENDER}. The local part keeps its case; the domain is compared case-insensitively.
 */
public record Address(String localPart, String domain) {

    public static final Address NULL_SENDER = new Address("", "");

    public boolean isNull() {
        return localPart.isEmpty() && domain.isEmpty();
    }

    /** True if any octet is outside ASCII, which needs SMTPUTF8 (RFC 6531 §3.3). */
    public boolean isUtf8() {
        return !isAscii(localPart) || !isAscii(domain);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    public String domainLower() {
        return domain.toLowerCase(Locale.ROOT);
    }

    /** Parses the text between angle brackets. Throws {@link IllegalArgumentException} on bad syntax. */
    public static Address parse(String mailbox) {
        if (mailbox.isEmpty()) {
            return NULL_SENDER;
        }
        int at = mailbox.lastIndexOf('@');
        if (at <= 0 || at == mailbox.length() - 1) {
            throw new IllegalArgumentException("address must be local@domain");
        }
        String local = mailbox.substring(0, at);
        String domain = mailbox.substring(at + 1);
        if (local.length() > 64 * 4 || domain.length() > 255) {
            // RFC 5321 §4.5.3.1.1-2 (allowing for UTF-8 octets)
            throw new IllegalArgumentException("address too long");
        }
        if (!validLocal(local)) {
            throw new IllegalArgumentException("bad local part");
        }
        if (!validDomain(domain)) {
            throw new IllegalArgumentException("bad domain");
        }
        return new Address(local, domain);
    }

    // RFC 5321 §4.1.2: Dot-string / Quoted-string; RFC 6531 §3.3 adds UTF-8 characters.
    private static boolean validLocal(String s) {
        if (s.startsWith("\"")) {
            if (s.length() < 2 || !s.endsWith("\"")) {
                return false;
            }
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    i++;
                } else if (c == '"' || c < 32 || c == 127) {
                    return false;
                }
            }
            return true;
        }
        if (s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                continue;
            }
            if (!(Character.isLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    private static boolean validDomain(String d) {
        if (d.startsWith("[") && d.endsWith("]")) {
            return d.length() > 2 && d.substring(1, d.length() - 1).matches("(IPv6:)?[0-9A-Fa-f:.]+");
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (c < 0x80 && !(Character.isLetterOrDigit(c) || c == '-')) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return isNull() ? "" : localPart + "@" + domain;
    }

    // Normalisation and the one address form a key is bound to. The domain and the local part are
    // compared in lower case (RFC 5321 §2.4 leaves the local part to the receiving domain; mailseal's own
    // domains treat it case-insensitively, as Postfix does); internationalised addresses (RFC 6531) keep
    // their Unicode letters.

    private static final java.util.regex.Pattern DOT_ATOM_LOCAL =
            java.util.regex.Pattern.compile("[\\p{L}\\p{N}#$&'*+\\-/=?^_`{|}~]+(\\.[\\p{L}\\p{N}#$&'*+\\-/=?^_`{|}~]+)*");
    private static final java.util.regex.Pattern DOMAIN =
            java.util.regex.Pattern.compile("([\\p{L}\\p{N}]([\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.)+[\\p{L}\\p{N}]([\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?");

    /**
     * True for {@code local@domain} with a dot-atom local part free of routing characters
     * ({@code % !}) and quotes, and a dotted domain name: the only form a key is ever bound to.
     */
    public static boolean isPlainAddrSpec(String spec) {
        int at = spec.lastIndexOf('@');
        if (at <= 0 || at == spec.length() - 1 || spec.length() > 320) {
            return false;
        }
        String local = spec.substring(0, at);
        return local.length() <= 64 && DOT_ATOM_LOCAL.matcher(local).matches() && DOMAIN.matcher(spec.substring(at + 1)).matches();
    }

    public static String normalise(String email) {
        int at = email.lastIndexOf('@');
        return at < 0 ? email : email.substring(0, at).toLowerCase(java.util.Locale.ROOT) + "@" + email.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
    }
}
