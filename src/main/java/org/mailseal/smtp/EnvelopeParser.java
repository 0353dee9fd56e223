package org.mailseal.smtp;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;

/** Parses the arguments of MAIL and RCPT, with their ESMTP parameters (RFC 5321 §4.1.2, §4.1.1.2-3). */
public final class EnvelopeParser {

    private EnvelopeParser() {
    }

    /** Parses what follows {@code MAIL FROM:}. */
    public static MailFrom parseMail(String arg, long maxSize) throws SmtpException {
        Split s = split(arg, "sender");
        Map<String, String> params = params(s.params);
        boolean utf8 = params.containsKey("SMTPUTF8");
        if (utf8 && params.get("SMTPUTF8") != null) {
            throw new SmtpException(501, "5.5.4", "Error: SMTPUTF8 takes no value");
        }
        Address sender = address(s.path, utf8, true, "sender", "5.1.7");
        Long size = null;
        MailFrom.Body body = null;
        MailFrom.Ret ret = null;
        String envid = null;
        for (Map.Entry<String, String> p : params.entrySet()) {
            String v = p.getValue();
            switch (p.getKey()) {
                case "SIZE" -> { // RFC 1870 §6
                    try {
                        size = Long.parseLong(require(v, "SIZE"));
                    } catch (NumberFormatException e) {
                        throw new SmtpException(501, "5.5.4", "Error: bad SIZE value");
                    }
                    if (size < 0) {
                        throw new SmtpException(501, "5.5.4", "Error: bad SIZE value");
                    }
                    if (size > maxSize) {
                        throw new SmtpException(552, "5.3.4", "Error: message size exceeds fixed limit of " + maxSize + " bytes");
                    }
                }
                case "BODY" -> { // RFC 6152 §2
                    String b = require(v, "BODY").toUpperCase(Locale.ROOT);
                    body = switch (b) {
                        case "7BIT" -> MailFrom.Body.SEVEN_BIT;
                        case "8BITMIME" -> MailFrom.Body.EIGHT_BIT_MIME;
                        default -> throw new SmtpException(501, "5.5.4", "Error: unsupported BODY type " + b);
                    };
                }
                case "RET" -> { // RFC 3461 §4.3
                    String r = require(v, "RET").toUpperCase(Locale.ROOT);
                    ret = switch (r) {
                        case "FULL" -> MailFrom.Ret.FULL;
                        case "HDRS" -> MailFrom.Ret.HDRS;
                        default -> throw new SmtpException(501, "5.5.4", "Error: bad RET value");
                    };
                }
                case "ENVID" -> { // RFC 3461 §4.4: xtext, at most 100 characters
                    envid = require(v, "ENVID");
                    if (envid.length() > 100 || !isXtext(envid)) {
                        throw new SmtpException(501, "5.5.4", "Error: bad ENVID value");
                    }
                }
                case "SMTPUTF8" -> {
                }
                case "AUTH" -> { // RFC 4954 §5: accepted, not passed on
                }
                default -> throw new SmtpException(555, "5.5.4", "Error: unsupported MAIL parameter " + p.getKey());
            }
        }
        return new MailFrom(sender, size, body, utf8, ret, envid);
    }

    /** Parses what follows {@code RCPT TO:}. */
    public static RcptTo parseRcpt(String arg, boolean smtputf8) throws SmtpException {
        return parseRcpt(arg, smtputf8, null);
    }

    /**
     * {@code postmasterDomain}: where a bare {@code <postmaster>} goes (RFC 5321 §4.5.1: it MUST be
     * accepted without a domain); null refuses it as bad syntax.
     */
    public static RcptTo parseRcpt(String arg, boolean smtputf8, String postmasterDomain) throws SmtpException {
        Split s = split(arg, "recipient");
        Map<String, String> params = params(s.params);
        Address rcpt = postmasterDomain != null && s.path.equalsIgnoreCase("postmaster")
                ? new Address(s.path, postmasterDomain)
                : address(s.path, smtputf8, false, "recipient", "5.1.3");
        Set<RcptTo.Notify> notify = EnumSet.noneOf(RcptTo.Notify.class);
        String orcpt = null;
        for (Map.Entry<String, String> p : params.entrySet()) {
            String v = p.getValue();
            switch (p.getKey()) {
                case "NOTIFY" -> { // RFC 3461 §4.1: NEVER, or any of SUCCESS, FAILURE, DELAY
                    for (String n : require(v, "NOTIFY").toUpperCase(Locale.ROOT).split(",")) {
                        try {
                            notify.add(RcptTo.Notify.valueOf(n));
                        } catch (IllegalArgumentException e) {
                            throw new SmtpException(501, "5.5.4", "Error: bad NOTIFY value");
                        }
                    }
                    if (notify.contains(RcptTo.Notify.NEVER) && notify.size() > 1) {
                        throw new SmtpException(501, "5.5.4", "Error: NOTIFY=NEVER cannot be combined");
                    }
                }
                case "ORCPT" -> { // RFC 3461 §4.2: addr-type ";" xtext (RFC 6533 utf-8-addr-xtext)
                    orcpt = require(v, "ORCPT");
                    int semi = orcpt.indexOf(';');
                    if (semi <= 0 || semi == orcpt.length() - 1 || orcpt.length() > 500) {
                        throw new SmtpException(501, "5.5.4", "Error: bad ORCPT value");
                    }
                }
                default -> throw new SmtpException(555, "5.5.4", "Error: unsupported RCPT parameter " + p.getKey());
            }
        }
        return new RcptTo(rcpt, notify, orcpt);
    }

    private record Split(String path, String params) {
    }

    // "<path> params"; like Postfix we tolerate a space after the colon but require the brackets.
    private static Split split(String arg, String what) throws SmtpException {
        String a = arg.stripLeading();
        if (!a.startsWith("<")) {
            throw new SmtpException(501, "5.5.4", "Syntax: " + (what.equals("sender") ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
        }
        int close = closingBracket(a);
        if (close < 0) {
            throw new SmtpException(501, "5.1." + (what.equals("sender") ? "7" : "3"), "Error: bad " + what + " address syntax");
        }
        String path = a.substring(1, close);
        // RFC 5321 §4.1.2 / Appendix C: a source route "@a,@b:" is accepted and ignored.
        if (path.startsWith("@")) {
            int colon = path.indexOf(':');
            if (colon < 0) {
                throw new SmtpException(501, "5.1.3", "Error: bad " + what + " address syntax");
            }
            path = path.substring(colon + 1);
        }
        String rest = a.substring(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(" ")) {
            throw new SmtpException(501, "5.5.4", "Error: garbage after " + what + " address");
        }
        return new Split(path, rest.trim());
    }

    private static int closingBracket(String a) {
        boolean quoted = false;
        for (int i = 1; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                return i;
            }
        }
        return -1;
    }

    private static Map<String, String> params(String text) throws SmtpException {
        Map<String, String> out = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String p : text.split(" +")) {
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? null : p.substring(eq + 1);
            // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value excludes "=", SP and CTLs
            if (!key.matches("[A-Z0-9][A-Z0-9-]*") || (value != null && (value.isEmpty() || value.contains("=")
                    || value.chars().anyMatch(c -> c < 33 || c == 127)))) {
                throw new SmtpException(501, "5.5.4", "Error: bad parameter syntax");
            }
            if (out.containsKey(key)) {
                throw new SmtpException(501, "5.5.4", "Error: duplicate parameter " + key);
            }
            out.put(key, value);
        }
        return out;
    }

    private static Address address(String path, boolean utf8, boolean nullAllowed, String what, String enhanced)
            throws SmtpException {
        if (path.isEmpty() && !nullAllowed) {
            throw new SmtpException(501, enhanced, "Error: empty " + what + " address");
        }
        Address a;
        try {
            a = Address.parse(path);
        } catch (IllegalArgumentException e) {
            throw new SmtpException(501, enhanced, "Error: bad " + what + " address syntax: " + e.getMessage());
        }
        if (a.isUtf8() && !utf8) {
            // RFC 6531 §3.4: non-ASCII addresses only in an SMTPUTF8 transaction
            throw new SmtpException(553, "5.6.7", "Error: must declare SMTPUTF8 to send unicode address");
        }
        return a;
    }

    private static String require(String v, String name) throws SmtpException {
        if (v == null) {
            throw new SmtpException(501, "5.5.4", "Error: " + name + " needs a value");
        }
        return v;
    }

    // RFC 3461 §4: xtext = *( xchar / hexchar ), xchar = "!".."~" except "+" and "=", hexchar = "+" 2HEXDIG
    static boolean isXtext(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
                    return false;
                }
                i += 2;
            } else if (c < '!' || c > '~' || c == '=') {
                return false;
            }
        }
        return true;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    }
}
