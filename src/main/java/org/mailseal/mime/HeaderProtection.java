package org.mailseal.mime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header protection for an encrypted message (RFC 9788, with Thunderbird's {@code protected-headers="v1"}).
 *
 * <p>Inner header (the encrypted payload's root): every original field, in order and byte for byte,
 * except that Content-Type gains {@code hp="cipher"; protected-headers="v1"}; then one {@code HP-Outer}
 * field per non-structural field of the outer header (RFC 9788 §2.2), then the gateway's trace fields.
 *
 * <p>Outer header (what the provider sees): an allowlist ({@link OuterHeader}), stricter than
 * hcp_baseline (RFC 9788 §3.2): only the fields delivery and threading need, in their original form
 * and order, with Subject replaced by the placeholder. Everything else ({@code Thread-Topic},
 * {@code Thread-Index}, the sender's {@code X-*}) is inside only, and has no HP-Outer line, so a
 * reader knows it was removed outside.
 */
public final class HeaderProtection {

    private static final Set<String> DROPPED_OUTSIDE = Set.of("keywords", "comments");
    private static final Set<String> TRACE = Set.of("received", "return-path");
    private static final String MARKERS = "hp=\"cipher\"; protected-headers=\"v1\"";

    private HeaderProtection() {
    }

    /** The two headers for one encrypted copy. */
    public record Result(byte[] inner, byte[] outer) {
    }

    public static boolean isStructural(RawHeader.Field f) {
        String n = f.name().toLowerCase(Locale.ROOT);
        return n.startsWith("content-") || n.equals("mime-version");
    }

    /**
     * @param subjectPlaceholder outer Subject (e.g. {@code [...]})
     * @param innerExtra         fields (with CRLF) added after HP-Outer inside, e.g. X-Mailseal-Info
     */
    public static Result protect(RawHeader h, String subjectPlaceholder, List<String> innerExtra) {
        return protect(h, OuterHeader.minimal(subjectPlaceholder), innerExtra);
    }

    /**
     * @param outerPolicy which fields stay outside ({@link OuterHeader}: an allowlist) and the outer Subject
     * @param innerExtra  fields (with CRLF) added after HP-Outer inside, e.g. X-Mailseal-Info
     */
    public static Result protect(RawHeader h, OuterHeader outerPolicy, List<String> innerExtra) {
        String subjectPlaceholder = outerPolicy.subjectPlaceholder();
        ByteArrayOutputStream outer = new ByteArrayOutputStream();
        ByteArrayOutputStream hpOuter = new ByteArrayOutputStream();
        String tag = outerPolicy.subjectTag();
        for (RawHeader.Field f : h.fields()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            // Scanner details stay inside; outside only X-Spam-Flag, so the mailbox can still file spam.
            boolean spamDetail = n.startsWith("x-spam-") && !n.equals("x-spam-flag");
            if (f.name().isEmpty() || isStructural(f) || DROPPED_OUTSIDE.contains(n) || spamDetail || !outerPolicy.keeps(n)) {
                continue;
            }
            byte[] outerRaw = n.equals("subject")
                    ? ("Subject: " + (tag != null ? tag + " " : "") + subjectPlaceholder + "\r\n").getBytes(StandardCharsets.UTF_8)
                    : f.raw();
            outer.writeBytes(outerRaw);
            if (!TRACE.contains(n)) {
                hpOuter.writeBytes("HP-Outer: ".getBytes(StandardCharsets.US_ASCII));
                hpOuter.writeBytes(crlf(outerRaw));
            }
        }
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        boolean sawContentType = false;
        for (RawHeader.Field f : h.fields()) {
            if (f.is("Content-Type") && !sawContentType) {
                sawContentType = true;
                inner.writeBytes(withMarkers(f.raw()));
            } else {
                inner.writeBytes(f.raw());
            }
        }
        if (!sawContentType) {
            // RFC 2045 §5.2 default, made explicit to carry the markers
            inner.writeBytes(("Content-Type: text/plain; charset=us-ascii; " + MARKERS + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        inner.writeBytes(hpOuter.toByteArray());
        for (String x : innerExtra) {
            inner.writeBytes(x.getBytes(StandardCharsets.UTF_8));
        }
        return new Result(inner.toByteArray(), outer.toByteArray());
    }

    // Append the markers before the field's line end, on a folded continuation line.
    private static byte[] withMarkers(byte[] raw) {
        int end = raw.length;
        while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
            end--;
        }
        String eol = new String(raw, end, raw.length - end, StandardCharsets.ISO_8859_1);
        int valueEnd = end;
        while (valueEnd > 0 && (raw[valueEnd - 1] == ' ' || raw[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        boolean hasSemicolon = valueEnd > 0 && raw[valueEnd - 1] == ';';
        ByteArrayOutputStream o = new ByteArrayOutputStream(raw.length + 64);
        o.write(raw, 0, end);
        o.writeBytes(((hasSemicolon ? "" : ";") + "\r\n\t" + MARKERS + (eol.isEmpty() ? "\r\n" : eol)).getBytes(StandardCharsets.US_ASCII));
        return o.toByteArray();
    }

    /** True if an inner header carries protected headers (the markers, or fields beyond MIME ones). */
    public static boolean isProtected(RawHeader inner) {
        String ct = inner.value("Content-Type");
        if (ct != null && (ContentTypes.param(ct, "hp") != null || ContentTypes.param(ct, "protected-headers") != null)) {
            return true;
        }
        return inner.first("From") != null;
    }

    /**
     * The header of a decrypted message (RFC 9788 §4.3): the outer trace fields (Received, Return-Path),
     * then, if the inner header is protected, the inner fields without HP-Outer and without the
     * {@code hp} and {@code protected-headers} parameters; otherwise the outer non-MIME fields followed
     * by the inner MIME fields (a legacy message whose header was never protected). The gateway's
     * {@code X-Mailseal-Info} trace inside is dropped too.
     */
    public static byte[] restore(RawHeader outer, RawHeader inner) {
        return restore(outer, inner, true);
    }

    /**
     * As {@link #restore(RawHeader, RawHeader)}; with {@code trustInner} false the inner header is taken as
     * unprotected whatever it claims: the outer fields (the ones the mail's authentication checked) stay,
     * only the inner MIME fields are taken. For a reader that cannot tell who wrote the inner header.
     */
    public static byte[] restore(RawHeader outer, RawHeader inner, boolean trustInner) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        boolean prot = trustInner && isProtected(inner);
        for (RawHeader.Field f : outer.fields()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (TRACE.contains(n) || (!prot && !isStructural(f) && !f.name().isEmpty())) {
                o.writeBytes(crlf(f.raw()));
            }
        }
        for (RawHeader.Field f : inner.fields()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            // HP-Outer and our own trace are encryption artefacts; inner trace fields are copies of the outer ones.
            if (f.is("HP-Outer") || n.startsWith("x-mailseal-") || TRACE.contains(n) || (!prot && !isStructural(f))) {
                continue;
            }
            o.writeBytes(f.is("Content-Type") ? withoutMarkers(f.raw()) : crlf(f.raw()));
        }
        return o.toByteArray();
    }

    private static final java.util.regex.Pattern MARKER_PARAM =
            java.util.regex.Pattern.compile(";?(?:\\r?\\n)?[ \\t]*(?:hp|protected-headers)[ \\t]*=[ \\t]*(?:\"[^\"]*\"|[^;\\s]*)", java.util.regex.Pattern.CASE_INSENSITIVE);

    // Undo withMarkers exactly when it was ours; otherwise drop the two parameters wherever they are.
    static byte[] withoutMarkers(byte[] raw) {
        String s = new String(raw, StandardCharsets.ISO_8859_1);
        String ours = "\r\n\t" + MARKERS + "\r\n";
        if (s.endsWith(";" + ours)) {
            return crlf((s.substring(0, s.length() - ours.length() - 1) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        if (s.endsWith(ours)) {
            return crlf((s.substring(0, s.length() - ours.length()) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        return crlf(MARKER_PARAM.matcher(s).replaceAll("").getBytes(StandardCharsets.ISO_8859_1));
    }

    /** {@code raw} ending in a line break (CRLF added if it has none). */
    static byte[] crlf(byte[] raw) {
        if (raw.length > 0 && raw[raw.length - 1] == '\n') {
            return raw;
        }
        byte[] out = java.util.Arrays.copyOf(raw, raw.length + 2);
        out[raw.length] = '\r';
        out[raw.length + 1] = '\n';
        return out;
    }
}
