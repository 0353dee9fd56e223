package org.mailseal.mail;

/**
 * Address normalisation and the one address form a key is bound to. The domain and the local part are
 * compared in lower case (RFC 5321 §2.4 leaves the local part to the receiving domain; mailseal's own
 * domains treat it case-insensitively, as Postfix does); internationalised addresses (RFC 6531) keep
 * their Unicode letters.
 */
public final class Addresses {

    private Addresses() {
    }

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
