package org.mailseal.milter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.RawHeader;

/**
 * What the milter must tell the MTA to turn the message it holds into the form the mail flow produced:
 * header fields changed in place (SMFIR_CHGHEADER with the occurrence index), deleted (CHGHEADER with an
 * empty value, highest index first so lower indices stay valid), added (SMFIR_ADDHEADER), and whether the
 * body must be replaced (SMFIR_REPLBODY). Fields are compared byte for byte, so a field no stage touched
 * is left alone, and a message no stage changed needs no edit at all.
 */
record MilterEdits(List<Change> changes, List<Field> additions, boolean replaceBody) {

    /** CHGHEADER: the {@code index}-th field called {@code name} (from 1) gets {@code value}; empty deletes it. */
    record Change(String name, int index, byte[] value) {
    }

    /** ADDHEADER. */
    record Field(String name, byte[] value) {
    }

    boolean isEmpty() {
        return changes.isEmpty() && additions.isEmpty() && !replaceBody;
    }

    /**
     * Compares the message as the MTA gave it ({@code original}) with the flow's result ({@code result}),
     * on the headers the mail items already parsed. {@code leadingSpace}: the MTA negotiated
     * SMFIP_HDR_LEADSPC, so values carry their leading space.
     */
    static MilterEdits between(MailItem original, MailItem result, boolean leadingSpace) throws IOException {
        RawHeader before = original.header();
        RawHeader after = result.header();
        // Per field name: the original occurrences and the result's values, in order.
        Map<String, List<byte[]>> was = new LinkedHashMap<>();
        Map<String, String> spelling = new LinkedHashMap<>();
        for (RawHeader.Field f : before.fields()) {
            if (f.name().isEmpty()) {
                continue;
            }
            String key = f.name().toLowerCase(Locale.ROOT);
            was.computeIfAbsent(key, k -> new ArrayList<>()).add(f.raw());
            spelling.putIfAbsent(key, f.name());
        }
        Map<String, List<byte[]>> now = new LinkedHashMap<>();
        for (RawHeader.Field f : after.fields()) {
            if (f.name().isEmpty()) {
                continue;
            }
            String key = f.name().toLowerCase(Locale.ROOT);
            now.computeIfAbsent(key, k -> new ArrayList<>()).add(f.raw());
            spelling.putIfAbsent(key, f.name());
        }
        List<Change> changes = new ArrayList<>();
        List<Change> deletions = new ArrayList<>();
        List<Field> additions = new ArrayList<>();
        for (String key : spelling.keySet()) {
            List<byte[]> old = was.getOrDefault(key, List.of());
            List<byte[]> neu = new ArrayList<>(now.getOrDefault(key, List.of()));
            List<Integer> unmatched = new ArrayList<>();
            for (int i = 0; i < old.size(); i++) {
                int hit = indexOf(neu, old.get(i));
                if (hit >= 0) {
                    neu.remove(hit);
                } else {
                    unmatched.add(i + 1);
                }
            }
            String name = spelling.get(key);
            int paired = Math.min(unmatched.size(), neu.size());
            for (int k = 0; k < paired; k++) {
                changes.add(new Change(name, unmatched.get(k), value(neu.get(k), leadingSpace)));
            }
            for (int k = unmatched.size() - 1; k >= paired; k--) {
                deletions.add(new Change(name, unmatched.get(k), new byte[0]));
            }
            for (int k = paired; k < neu.size(); k++) {
                additions.add(new Field(name, value(neu.get(k), leadingSpace)));
            }
        }
        changes.addAll(deletions);
        boolean replace = !original.content().equals(result.content()) && !sameBody(original, result);
        return new MilterEdits(changes, additions, replace);
    }

    private static int indexOf(List<byte[]> list, byte[] raw) {
        for (int i = 0; i < list.size(); i++) {
            if (Arrays.equals(list.get(i), raw)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A field's value as the milter protocol carries it: after the colon, without the final line break,
     * folded with LF (as the MTAs send it to us); the leading space only when SMFIP_HDR_LEADSPC is on.
     */
    static byte[] value(byte[] raw, boolean leadingSpace) {
        int colon = 0;
        while (colon < raw.length && raw[colon] != ':') {
            colon++;
        }
        int end = raw.length;
        while (end > colon + 1 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
            end--;
        }
        int start = colon + 1;
        if (!leadingSpace) {
            while (start < end && (raw[start] == ' ' || raw[start] == '\t')) {
                start++;
            }
        }
        String v = new String(raw, start, end - start, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        return v.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean sameBody(MailItem a, MailItem b) throws IOException {
        try (InputStream x = a.openBody(); InputStream y = b.openBody()) {
            byte[] bx = new byte[65536];
            byte[] by = new byte[65536];
            while (true) {
                int n = x.readNBytes(bx, 0, bx.length);
                int m = y.readNBytes(by, 0, by.length);
                if (n != m || !Arrays.equals(bx, 0, n, by, 0, m)) {
                    return false;
                }
                if (n == 0) {
                    return true;
                }
            }
        }
    }
}
