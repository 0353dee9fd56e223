package org.mailseal.bridge;

import jakarta.mail.Flags;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SEARCH criteria (RFC 3501 §6.4.4) over the plaintext: flags, dates, sizes and sets from the session's
 * view; FROM, TO, CC, BCC, SUBJECT, HEADER, BODY and TEXT by a linear scan of each candidate's plaintext
 * (from the encrypted cache, else fetched and opened once): its cost is one decryption per uncached message,
 * then a substring scan, case-insensitive; no plaintext index is kept.
 */
final class Search {

    /** What a criterion sees of one message; {@code content} is read only when a key needs it. */
    record Candidate(int seq, long uid, int count, long maxUid, Flags flags, Instant internalDate, long modseq, Size size, Content content) {
    }

    interface Content {
        byte[] get() throws Exception;
    }

    /** RFC822.SIZE, from the stored content items where they are. */
    interface Size {
        long get() throws Exception;
    }

    private interface Key {
        boolean test(Candidate c, Cache cache) throws Exception;
    }

    /** Per message, the plaintext once. */
    private static final class Cache {
        byte[] bytes;
        MimeTree.Entity tree;

        byte[] bytes(Candidate c) throws Exception {
            if (bytes == null) {
                bytes = c.content().get();
                tree = MimeTree.parse(bytes);
            }
            return bytes;
        }
    }

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d-MMM-yyyy", Locale.ROOT);

    private final List<Key> all;
    private final boolean modseq;

    private Search(List<Key> all, boolean modseq) {
        this.all = all;
        this.modseq = modseq;
    }

    static Search parse(List<Object> criteria) {
        Parser p = new Parser(criteria);
        List<Key> keys = new ArrayList<>();
        while (p.more()) {
            keys.add(p.key());
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("SEARCH needs a criterion");
        }
        return new Search(keys, p.modseq);
    }

    /** Whether a MODSEQ criterion is used: then the answer ends with the highest MODSEQ matched (RFC 7162 §3.1.5). */
    boolean usesModseq() {
        return modseq;
    }

    boolean matches(Candidate c) throws Exception {
        Cache cache = new Cache();
        for (Key k : all) {
            if (!k.test(c, cache)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(byte[] hay, String needle) {
        String h = new String(hay, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        return h.contains(needle.toLowerCase(Locale.ROOT));
    }

    private static final class Parser {
        private final List<Object> in;
        private int i;
        boolean modseq;

        Parser(List<Object> in) {
            this.in = in;
        }

        boolean more() {
            return i < in.size();
        }

        String next() {
            return ImapReader.text(in.get(i++));
        }

        Key key() {
            Object o = in.get(i);
            if (o instanceof List<?> l) {
                i++;
                @SuppressWarnings("unchecked")
                Search inner = Search.parse((List<Object>) l);
                modseq |= inner.modseq;
                return (c, cache) -> inner.matches(c);
            }
            String w = next();
            String u = w.toUpperCase(Locale.ROOT);
            switch (u) {
                case "ALL":
                    return (c, x) -> true;
                case "NOT": {
                    Key k = key();
                    return (c, x) -> !k.test(c, x);
                }
                case "OR": {
                    Key a = key();
                    Key b = key();
                    return (c, x) -> a.test(c, x) || b.test(c, x);
                }
                case "MODSEQ": {
                    // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type] n; per-flag entries are not kept apart, the
                    // message's MODSEQ stands for all of them
                    if (in.get(i) instanceof ImapReader.Quoted) {
                        next();
                        next();
                    }
                    long n = Long.parseLong(next());
                    modseq = true;
                    return (c, x) -> c.modseq() >= n;
                }
                case "UID": {
                    String set = next();
                    return (c, x) -> SequenceSet.parse(set, c.maxUid()).contains(c.uid());
                }
                case "SEEN", "UNSEEN", "ANSWERED", "UNANSWERED", "DELETED", "UNDELETED", "FLAGGED", "UNFLAGGED", "DRAFT", "UNDRAFT": {
                    boolean negate = u.startsWith("UN");
                    Flags.Flag f = switch (negate ? u.substring(2) : u) {
                        case "SEEN" -> Flags.Flag.SEEN;
                        case "ANSWERED" -> Flags.Flag.ANSWERED;
                        case "DELETED" -> Flags.Flag.DELETED;
                        case "FLAGGED" -> Flags.Flag.FLAGGED;
                        default -> Flags.Flag.DRAFT;
                    };
                    return (c, x) -> c.flags().contains(f) != negate;
                }
                case "RECENT", "NEW":
                    return (c, x) -> false; // the provider's \Recent belongs to its own session
                case "OLD":
                    return (c, x) -> true;
                case "KEYWORD", "UNKEYWORD": {
                    String kw = next();
                    boolean negate = u.equals("UNKEYWORD");
                    return (c, x) -> c.flags().contains(kw) != negate;
                }
                case "BEFORE", "ON", "SINCE": {
                    LocalDate d = LocalDate.parse(next(), DATE);
                    return (c, x) -> {
                        LocalDate m = c.internalDate().atZone(ZoneOffset.UTC).toLocalDate();
                        return u.equals("BEFORE") ? m.isBefore(d) : u.equals("ON") ? m.equals(d) : !m.isBefore(d);
                    };
                }
                case "LARGER", "SMALLER": {
                    long n = Long.parseLong(next());
                    return (c, x) -> u.equals("LARGER") ? c.size().get() > n : c.size().get() < n;
                }
                case "FROM", "TO", "CC", "BCC", "SUBJECT": {
                    String v = next();
                    String field = u.charAt(0) + u.substring(1).toLowerCase(Locale.ROOT);
                    return (c, x) -> {
                        x.bytes(c);
                        String h = x.tree.header().value(field);
                        return h != null && header(h).contains(v.toLowerCase(Locale.ROOT));
                    };
                }
                case "HEADER": {
                    String name = next();
                    String v = next();
                    return (c, x) -> {
                        x.bytes(c);
                        for (org.mailseal.mime.RawHeader.Field f : x.tree.header().fields()) {
                            if (f.is(name) && header(f.value()).contains(v.toLowerCase(Locale.ROOT))) {
                                return true;
                            }
                        }
                        return false;
                    };
                }
                case "BODY": {
                    String v = next();
                    return (c, x) -> {
                        byte[] m = x.bytes(c);
                        return contains(java.util.Arrays.copyOfRange(m, x.tree.bodyStart(), m.length), v);
                    };
                }
                case "TEXT": {
                    String v = next();
                    return (c, x) -> contains(x.bytes(c), v);
                }
                default:
                    if (SequenceSet.looksLike(w)) {
                        return (c, x) -> SequenceSet.parse(w, c.count()).contains(c.seq());
                    }
                    throw new IllegalArgumentException("unknown SEARCH key " + w);
            }
        }
    }

    /** A header value decoded (RFC 2047) and lower-cased, for matching. */
    private static String header(String v) {
        try {
            return jakarta.mail.internet.MimeUtility.decodeText(MimeTree.unfold(v)).toLowerCase(Locale.ROOT);
        } catch (java.io.UnsupportedEncodingException e) {
            return v.toLowerCase(Locale.ROOT);
        }
    }
}
