package org.mailseal.bridge;

import java.util.ArrayList;
import java.util.List;

/** The parameters of a Content-Type or Content-Disposition value (RFC 2045 §5.1), in order, values unquoted. */
final class ContentParams {

    private ContentParams() {
    }

    static List<String[]> parse(String value) {
        String v = MimeTree.unfold(value);
        List<String[]> out = new ArrayList<>();
        int i = v.indexOf(';');
        while (i >= 0 && i < v.length()) {
            i++;
            while (i < v.length() && (v.charAt(i) == ' ' || v.charAt(i) == '\t')) {
                i++;
            }
            int eq = v.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String name = v.substring(i, eq).strip();
            int j = eq + 1;
            while (j < v.length() && (v.charAt(j) == ' ' || v.charAt(j) == '\t')) {
                j++;
            }
            StringBuilder val = new StringBuilder();
            if (j < v.length() && v.charAt(j) == '"') {
                j++;
                while (j < v.length() && v.charAt(j) != '"') {
                    if (v.charAt(j) == '\\' && j + 1 < v.length()) {
                        j++;
                    }
                    val.append(v.charAt(j++));
                }
                j++;
            } else {
                while (j < v.length() && v.charAt(j) != ';') {
                    val.append(v.charAt(j++));
                }
            }
            if (!name.isEmpty()) {
                out.add(new String[] {name, val.toString().strip()});
            }
            i = v.indexOf(';', j);
        }
        return out;
    }
}
