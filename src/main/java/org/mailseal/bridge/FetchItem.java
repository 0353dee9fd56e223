package org.mailseal.bridge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One FETCH data item (RFC 3501 §6.4.5), with the macros ALL, FAST and FULL expanded. */
record FetchItem(Kind kind, String section, boolean peek, long offset, long length) {

    enum Kind { UID, FLAGS, INTERNALDATE, MODSEQ, RFC822_SIZE, ENVELOPE, BODYSTRUCTURE, BODY, SECTION }

    boolean needsContent() {
        return kind == Kind.RFC822_SIZE || kind == Kind.ENVELOPE || kind == Kind.BODYSTRUCTURE || kind == Kind.BODY || kind == Kind.SECTION;
    }

    /** The name in the response: {@code BODY[section]}, or RFC822, RFC822.HEADER, RFC822.TEXT as asked. */
    String responseName() {
        return switch (section) {
            case "\u0000RFC822" -> "RFC822";
            case "\u0000RFC822.HEADER" -> "RFC822.HEADER";
            case "\u0000RFC822.TEXT" -> "RFC822.TEXT";
            default -> "BODY[" + section + "]";
        };
    }

    static FetchItem simple(Kind k) {
        return new FetchItem(k, null, false, -1, -1);
    }

    static List<FetchItem> parse(List<Object> args) {
        List<Object> flat = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof List<?> l) {
                flat.addAll(l);
            } else {
                flat.add(a);
            }
        }
        List<FetchItem> out = new ArrayList<>();
        for (Object o : flat) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException("bad FETCH item");
            }
            String u = s.toUpperCase(Locale.ROOT);
            switch (u) {
                case "ALL" -> out.addAll(List.of(simple(Kind.FLAGS), simple(Kind.INTERNALDATE), simple(Kind.RFC822_SIZE), simple(Kind.ENVELOPE)));
                case "FAST" -> out.addAll(List.of(simple(Kind.FLAGS), simple(Kind.INTERNALDATE), simple(Kind.RFC822_SIZE)));
                case "FULL" -> out.addAll(List.of(simple(Kind.FLAGS), simple(Kind.INTERNALDATE), simple(Kind.RFC822_SIZE), simple(Kind.ENVELOPE),
                        simple(Kind.BODY)));
                case "UID" -> out.add(simple(Kind.UID));
                case "FLAGS" -> out.add(simple(Kind.FLAGS));
                case "INTERNALDATE" -> out.add(simple(Kind.INTERNALDATE));
                case "RFC822.SIZE" -> out.add(simple(Kind.RFC822_SIZE));
                case "ENVELOPE" -> out.add(simple(Kind.ENVELOPE));
                case "BODYSTRUCTURE" -> out.add(simple(Kind.BODYSTRUCTURE));
                case "BODY" -> out.add(simple(Kind.BODY));
                case "RFC822" -> out.add(new FetchItem(Kind.SECTION, "\u0000RFC822", false, -1, -1));
                case "RFC822.HEADER" -> out.add(new FetchItem(Kind.SECTION, "\u0000RFC822.HEADER", true, -1, -1));
                case "RFC822.TEXT" -> out.add(new FetchItem(Kind.SECTION, "\u0000RFC822.TEXT", false, -1, -1));
                case "MODSEQ" -> out.add(simple(Kind.MODSEQ)); // RFC 7162 §3.1.4.1
                default -> out.add(section(s, u));
            }
        }
        return out;
    }

    private static FetchItem section(String s, String u) {
        boolean peek = u.startsWith("BODY.PEEK[");
        if (!peek && !u.startsWith("BODY[")) {
            throw new IllegalArgumentException("unknown FETCH item " + s);
        }
        int open = s.indexOf('[');
        int close = s.lastIndexOf(']');
        if (close < open) {
            throw new IllegalArgumentException("bad section " + s);
        }
        String section = s.substring(open + 1, close);
        String rest = s.substring(close + 1);
        long off = -1;
        long len = -1;
        if (!rest.isEmpty()) {
            if (!rest.matches("<[0-9]{1,10}\\.[0-9]{1,10}>")) {
                throw new IllegalArgumentException("bad partial " + rest);
            }
            String[] p = rest.substring(1, rest.length() - 1).split("\\.");
            off = Long.parseLong(p[0]);
            len = Long.parseLong(p[1]);
        }
        // the response names the section in upper case, with its field list as asked
        String name = section.toUpperCase(Locale.ROOT);
        int paren = section.indexOf('(');
        if (paren >= 0) {
            name = section.substring(0, paren).toUpperCase(Locale.ROOT) + section.substring(paren);
        }
        return new FetchItem(Kind.SECTION, name, peek, off, len);
    }
}
