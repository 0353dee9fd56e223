package org.mailseal.mailauth.dkim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A DKIM tag list (RFC 6376 §3.2): {@code tag=value} pairs separated by semicolons, folding white space
 * allowed around each. Values keep their inner white space (callers strip it where the tag's syntax says
 * so, e.g. base64). A tag given twice makes the whole list invalid.
 */
public final class TagList {

    private final Map<String, String> tags;

    private TagList(Map<String, String> tags) {
        this.tags = tags;
    }

    public static TagList parse(String text) throws DkimException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : text.split(";", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue; // a trailing ";" is allowed
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new DkimException("bad tag: " + shorten(p));
            }
            String name = p.substring(0, eq).strip();
            if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
                throw new DkimException("bad tag name: " + shorten(name));
            }
            if (out.put(name, p.substring(eq + 1).strip()) != null) {
                throw new DkimException("tag " + name + " given twice"); // §3.2
            }
        }
        return new TagList(out);
    }

    public String get(String tag) {
        return tags.get(tag);
    }

    public boolean has(String tag) {
        return tags.containsKey(tag);
    }

    /** The value with all folding white space removed (base64 and colon lists). */
    public String compact(String tag) {
        String v = tags.get(tag);
        return v == null ? null : v.replaceAll("[ \t\r\n]", "");
    }

    public String lower(String tag) {
        String v = tags.get(tag);
        return v == null ? null : v.toLowerCase(Locale.ROOT);
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
