package org.mailseal.pipeline;

import java.util.Locale;

/**
 * The authserv-id of an {@code Authentication-Results} field (RFC 8601 §2.2: {@code [CFWS] authserv-id},
 * a {@code value}, i.e. a token or a quoted string) or of an {@code ARC-Authentication-Results} field
 * (RFC 8617 §4.1.1: {@code i=N;} first). Comments (nested) and white space are skipped, quotes and
 * backslash escapes undone, a trailing dot dropped and the result lower-cased, so that
 * {@code (c) "gw.example."} and {@code gw.example} name the same host.
 */
final class AuthservId {

    private AuthservId() {
    }

    static String of(String value, boolean arc) {
        int[] pos = {0};
        if (arc) {
            skipCfws(value, pos);
            int semi = value.indexOf(';', pos[0]);
            if (semi < 0) {
                return null;
            }
            pos[0] = semi + 1;
        }
        skipCfws(value, pos);
        StringBuilder id = new StringBuilder();
        int i = pos[0];
        if (i < value.length() && value.charAt(i) == '"') {
            for (i++; i < value.length() && value.charAt(i) != '"'; i++) {
                char c = value.charAt(i);
                if (c == '\\' && i + 1 < value.length()) {
                    c = value.charAt(++i);
                }
                id.append(c);
            }
        } else {
            for (; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == ';' || c == '(' || Character.isWhitespace(c)) {
                    break;
                }
                id.append(c);
            }
        }
        String s = id.toString().trim().toLowerCase(Locale.ROOT);
        while (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() ? null : s;
    }

    private static void skipCfws(String v, int[] pos) {
        int depth = 0;
        int i = pos[0];
        for (; i < v.length(); i++) {
            char c = v.charAt(i);
            if (depth > 0) {
                if (c == '\\') {
                    i++;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                }
            } else if (c == '(') {
                depth++;
            } else if (!Character.isWhitespace(c)) {
                break;
            }
        }
        pos[0] = i;
    }
}
