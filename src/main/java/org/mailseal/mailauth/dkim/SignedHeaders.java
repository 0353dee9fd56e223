package org.mailseal.mailauth.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailseal.mime.RawHeader;

/** The header part of the data a DKIM (or ARC) signature covers (RFC 6376 §3.7, §5.4.2). */
public final class SignedHeaders {

    private SignedHeaders() {
    }

    /**
     * The fields named by {@code names}, in that order, each name taking the next instance from the bottom
     * of the header up (§5.4.2); a name with no instance left contributes nothing. Then {@code signature},
     * the signature field itself with its {@code b=} value emptied, canonicalized, without its final CRLF.
     */
    public static byte[] data(List<RawHeader.Field> fields, List<String> names, Canonicalization c, byte[] signature) {
        Map<String, List<RawHeader.Field>> byName = new HashMap<>();
        for (RawHeader.Field f : fields) {
            byName.computeIfAbsent(f.name().strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(f);
        }
        Map<String, Integer> used = new HashMap<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String n : names) {
            String name = n.strip().toLowerCase(Locale.ROOT);
            List<RawHeader.Field> all = byName.getOrDefault(name, List.of());
            int u = used.merge(name, 1, Integer::sum);
            if (u <= all.size()) {
                out.writeBytes(c.header(all.get(all.size() - u).raw()));
            }
        }
        byte[] sig = c.header(withoutB(signature));
        int end = sig.length;
        if (end >= 2 && sig[end - 2] == '\r' && sig[end - 1] == '\n') {
            end -= 2;
        } else if (end >= 1 && sig[end - 1] == '\n') {
            end -= 1;
        }
        out.write(sig, 0, end);
        return out.toByteArray();
    }

    /** The field with the value of its {@code b=} tag removed, every other byte kept (§3.5, "b="). */
    public static byte[] withoutB(byte[] raw) {
        String s = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = s.indexOf(':');
        StringBuilder b = new StringBuilder(s.substring(0, colon + 1));
        String value = s.substring(colon + 1);
        String crlf = "";
        if (value.endsWith("\r\n")) {
            crlf = "\r\n";
            value = value.substring(0, value.length() - 2);
        }
        String[] parts = value.split(";", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).strip().equals("b")) {
                p = p.substring(0, eq + 1);
            }
            b.append(p);
            if (i < parts.length - 1) {
                b.append(';');
            }
        }
        return (b + crlf).getBytes(StandardCharsets.ISO_8859_1);
    }
}
