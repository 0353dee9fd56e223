package org.mailseal.mime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A message's header section as raw bytes, field by field (RFC 5322 §2.2), so it can be written back
 * byte for byte. Reading stops after the empty line that ends the header; the stream is then at the
 * first body byte.
 */
public final class RawHeader {

    /** One field with its exact bytes, including folding and the final CRLF. */
    public record Field(String name, byte[] raw) {
        /** The unfolded value, decoded as UTF-8 (RFC 6532), without the leading space. */
        public String value() {
            String s = new String(raw, StandardCharsets.UTF_8);
            int colon = s.indexOf(':');
            return s.substring(colon + 1).replaceAll("\r?\n(?=[ \t])", "").trim();
        }

        public boolean is(String n) {
            return name.equalsIgnoreCase(n);
        }
    }

    private final List<Field> fields;
    private final boolean hasBody;

    private RawHeader(List<Field> fields, boolean hasBody) {
        this.fields = List.copyOf(fields);
        this.hasBody = hasBody;
    }

    /** The largest header section mailseal reads, of a message or of a decrypted entity (then 552). */
    public static final int MAX_SECTION = 4 * 1024 * 1024;

    /** A header made of {@code fields} (e.g. one with a field taken out). */
    public static RawHeader of(List<Field> fields, boolean hasBody) {
        return new RawHeader(fields, hasBody);
    }

    public List<Field> fields() {
        return fields;
    }

    /** False if the message ended without the empty line (a header-only message). */
    public boolean hasBody() {
        return hasBody;
    }

    public Field first(String name) {
        return fields.stream().filter(f -> f.is(name)).findFirst().orElse(null);
    }

    public String value(String name) {
        Field f = first(name);
        return f == null ? null : f.value();
    }

    /** Thrown when the header section exceeds the limit. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(String m) {
            super(m);
        }
    }

    /**
     * Reads the header section from {@code in} (which should be buffered). Text before the first
     * field that is not a field (no colon) is kept as a nameless field, so nothing is ever dropped.
     */
    public static RawHeader read(InputStream in, int maxBytes) throws IOException {
        List<Field> fields = new ArrayList<>();
        ByteArrayOutputStream current = null;
        String currentName = null;
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        long total = 0;
        while (true) {
            line.reset();
            int b;
            while ((b = in.read()) >= 0) {
                line.write(b);
                if (++total > maxBytes) {
                    throw new TooLargeException("header section larger than " + maxBytes + " bytes");
                }
                if (b == '\n') {
                    break;
                }
            }
            byte[] l = line.toByteArray();
            boolean blank = l.length == 0 || (l.length == 1 && l[0] == '\n') || (l.length == 2 && l[0] == '\r' && l[1] == '\n');
            if (blank) {
                if (current != null) {
                    fields.add(new Field(currentName, current.toByteArray()));
                }
                return new RawHeader(fields, l.length > 0);
            }
            if ((l[0] == ' ' || l[0] == '\t') && current != null) {
                current.write(l);
            } else {
                if (current != null) {
                    fields.add(new Field(currentName, current.toByteArray()));
                }
                current = new ByteArrayOutputStream(Math.max(64, l.length));
                current.write(l);
                String s = new String(l, StandardCharsets.ISO_8859_1);
                int colon = s.indexOf(':');
                currentName = colon > 0 ? s.substring(0, colon).trim() : "";
            }
            if (b < 0) {
                fields.add(new Field(currentName, current.toByteArray()));
                return new RawHeader(fields, false);
            }
        }
    }

    /** Lower-case media type of the Content-Type field ({@code text/plain} when absent, RFC 2045 §5.2). */
    public String mediaType() {
        String ct = value("Content-Type");
        if (ct == null) {
            return "text/plain";
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }
}
