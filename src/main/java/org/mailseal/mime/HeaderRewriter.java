package org.mailseal.mime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Every edit of a message's header fields goes through here: the stage says which fields the new header
 * has (kept ones byte for byte, new ones as {@link #field}), the body is streamed on unchanged.
 */
public final class HeaderRewriter {

    private HeaderRewriter() {
    }

    /** A new field, {@code Name: value} and CRLF, UTF-8 (RFC 6532). */
    public static RawHeader.Field field(String name, String value) {
        return new RawHeader.Field(name, (name + ": " + value + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code edit}'s fields of {@code h}, the empty line (when there was a body), then {@code body}, to {@code out}. */
    public static void rewrite(Path out, RawHeader h, InputStream body, UnaryOperator<List<RawHeader.Field>> edit) throws IOException {
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 65536)) {
            write(o, edit.apply(h.fields()), h.hasBody(), body);
        }
    }

    /** Writes {@code top}, then {@code h} and {@code body} unchanged, to {@code out} (signatures and seals go on top). */
    public static void prepend(Path out, List<RawHeader.Field> top, RawHeader h, InputStream body) throws IOException {
        rewrite(out, h, body, fields -> {
            List<RawHeader.Field> all = new java.util.ArrayList<>(top);
            all.addAll(fields);
            return all;
        });
    }

    /** The fields, the empty line that ends the header section (when a body follows), then the body. */
    public static void write(OutputStream o, List<RawHeader.Field> fields, boolean hasBody, InputStream body) throws IOException {
        for (RawHeader.Field f : fields) {
            o.write(f.raw());
        }
        if (hasBody) {
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        body.transferTo(o);
    }
}
