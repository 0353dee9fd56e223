package org.mailseal.logging;

/**
 * Makes a client-supplied string safe for one log line: CR, LF, ESC and every other control
 * character (C0, DEL, C1, and the Unicode line and paragraph separators) become visible escapes, so
 * no client byte can end a log line, forge another, or drive a terminal. A backslash is doubled so
 * the escapes cannot be faked either.
 */
public final class LogSafe {

    private LogSafe() {
    }

    public static String text(Object o) {
        if (o == null) {
            return null;
        }
        String s = o.toString();
        int i = 0;
        while (i < s.length() && !needsEscape(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (needsEscape(c)) {
                        sb.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029;
    }
}
