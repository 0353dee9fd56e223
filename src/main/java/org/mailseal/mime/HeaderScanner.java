package org.mailseal.mime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the header section of a message (RFC 5322 §2.2) from a stream, without reading the body.
 * Unfolds continuation lines. Stops at the empty line, at end of input, or after {@code maxBytes}.
 */
public final class HeaderScanner {

    private HeaderScanner() {
    }

    /** One header field: name as written, and the raw unfolded value. */
    public record Field(String name, String value) {
        public boolean is(String n) {
            return name.equalsIgnoreCase(n);
        }
    }

    public static List<Field> read(InputStream in, long maxBytes) throws IOException {
        List<Field> fields = new ArrayList<>();
        StringBuilder current = null;
        long total = 0;
        byte[] line = new byte[1024];
        while (true) {
            int len = 0;
            int b;
            while ((b = in.read()) >= 0) {
                total++;
                if (b == '\n') {
                    break;
                }
                if (len == line.length) {
                    line = java.util.Arrays.copyOf(line, Math.min(line.length * 2, 1 << 20));
                    if (len == line.length) {
                        break; // absurd line: stop scanning
                    }
                }
                line[len++] = (byte) b;
            }
            if (len > 0 && line[len - 1] == '\r') {
                len--;
            }
            if (b < 0 && len == 0) {
                break;
            }
            if (len == 0 || total > maxBytes) {
                break;
            }
            String text = new String(line, 0, len, StandardCharsets.UTF_8);
            if ((text.charAt(0) == ' ' || text.charAt(0) == '\t') && current != null) {
                current.append(text);
                continue;
            }
            if (current != null) {
                fields.add(toField(current.toString()));
            }
            current = new StringBuilder(text);
            if (b < 0) {
                break;
            }
        }
        if (current != null) {
            fields.add(toField(current.toString()));
        }
        return fields;
    }

    private static Field toField(String s) {
        int colon = s.indexOf(':');
        if (colon <= 0) {
            return new Field("", s);
        }
        return new Field(s.substring(0, colon).trim(), s.substring(colon + 1).trim());
    }

    public static long count(List<Field> fields, String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return fields.stream().filter(f -> f.name().toLowerCase(Locale.ROOT).equals(n)).count();
    }
}
