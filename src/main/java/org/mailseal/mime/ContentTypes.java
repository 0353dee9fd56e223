package org.mailseal.mime;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small helpers for Content-Type parameters (RFC 2045 §5.1). */
public final class ContentTypes {
    private ContentTypes() {
    }

    /** The value of parameter {@code name}, unquoted, or null. */
    public static String param(String contentType, String name) {
        if (contentType == null) {
            return null;
        }
        Matcher m = Pattern.compile("(?i);\\s*" + Pattern.quote(name) + "\\s*=\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^;\\s]+)").matcher(contentType);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(1);
    }

    public static String mediaType(String contentType) {
        if (contentType == null) {
            return "text/plain";
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }
}
