package org.mailseal.bridge;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.mailseal.mime.RawHeader;

/**
 * The bytes of a body section (RFC 3501 §6.4.5): {@code []}, {@code HEADER}, {@code TEXT},
 * {@code HEADER.FIELDS (..)}, {@code HEADER.FIELDS.NOT (..)}, a part number {@code 1.2}, and a part's
 * {@code MIME}, {@code HEADER} and {@code TEXT}; always a slice of the served message or of its fields.
 */
final class Sections {

    private Sections() {
    }

    static byte[] slice(byte[] m, MimeTree.Entity root, String section) {
        switch (section) {
            case "\u0000RFC822":
                return m;
            case "\u0000RFC822.HEADER":
                return Arrays.copyOfRange(m, root.start(), root.bodyStart());
            case "\u0000RFC822.TEXT":
                return Arrays.copyOfRange(m, root.bodyStart(), root.end());
            default:
                break;
        }
        if (section.isEmpty()) {
            return m;
        }
        String[] parts = section.split("\\.", -1);
        MimeTree.Entity e = root;
        int i = 0;
        // numeric part path
        while (i < parts.length && parts[i].matches("[0-9]+")) {
            int n = Integer.parseInt(parts[i]);
            MimeTree.Entity inner = e.message() != null ? e.message() : e;
            if (!inner.parts().isEmpty()) {
                if (n < 1 || n > inner.parts().size()) {
                    return new byte[0];
                }
                e = inner.parts().get(n - 1);
            } else if (n != 1) {
                return new byte[0];
            } else if (e.message() != null) {
                e = e.message(); // part 1 of a non-multipart message/rfc822 is its body
            }
            // part 1 of a non-multipart entity is the entity itself
            i++;
        }
        String rest = String.join(".", Arrays.copyOfRange(parts, i, parts.length));
        boolean nested = i > 0;
        if (rest.isEmpty()) {
            return nested ? Arrays.copyOfRange(m, e.bodyStart(), e.end()) : m;
        }
        String upper = rest.toUpperCase(Locale.ROOT);
        if (upper.equals("MIME")) {
            return Arrays.copyOfRange(m, e.start(), e.bodyStart());
        }
        MimeTree.Entity msg = nested ? (e.message() != null ? e.message() : e) : e;
        if (upper.equals("HEADER")) {
            return Arrays.copyOfRange(m, msg.start(), msg.bodyStart());
        }
        if (upper.equals("TEXT")) {
            return Arrays.copyOfRange(m, msg.bodyStart(), msg.end());
        }
        if (upper.startsWith("HEADER.FIELDS")) {
            boolean not = upper.startsWith("HEADER.FIELDS.NOT");
            int open = rest.indexOf('(');
            int close = rest.lastIndexOf(')');
            if (open < 0 || close < open) {
                throw new IllegalArgumentException("bad HEADER.FIELDS list");
            }
            List<String> names = new ArrayList<>();
            for (String n : rest.substring(open + 1, close).trim().split("\\s+")) {
                if (!n.isEmpty()) {
                    names.add(n.replace("\"", "").toLowerCase(Locale.ROOT));
                }
            }
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            for (RawHeader.Field f : msg.header().fields()) {
                boolean listed = names.contains(f.name().toLowerCase(Locale.ROOT));
                if (listed != not && !f.name().isEmpty()) {
                    o.writeBytes(f.raw());
                }
            }
            o.write('\r');
            o.write('\n');
            return o.toByteArray();
        }
        throw new IllegalArgumentException("unknown section " + section);
    }
}
