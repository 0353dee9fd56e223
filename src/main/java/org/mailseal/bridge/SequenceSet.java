package org.mailseal.bridge;

import java.util.ArrayList;
import java.util.List;

/** An IMAP sequence set (RFC 3501 §9 {@code sequence-set}): ranges, {@code *} for the largest value. */
final class SequenceSet {

    private final List<long[]> ranges = new ArrayList<>();

    private SequenceSet() {
    }

    /** {@code star}: what {@code *} stands for (the largest sequence number or UID there is). */
    static SequenceSet parse(String s, long star) {
        SequenceSet set = new SequenceSet();
        for (String part : s.split(",")) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("bad sequence set");
            }
            int colon = part.indexOf(':');
            long a = value(colon < 0 ? part : part.substring(0, colon), star);
            long b = colon < 0 ? a : value(part.substring(colon + 1), star);
            set.ranges.add(new long[] {Math.min(a, b), Math.max(a, b)});
        }
        return set;
    }

    static boolean looksLike(String s) {
        return s.matches("[0-9*:,]+");
    }

    private static long value(String v, long star) {
        if (v.equals("*")) {
            return star;
        }
        if (!v.matches("[0-9]{1,10}")) {
            throw new IllegalArgumentException("bad sequence set");
        }
        long n = Long.parseLong(v);
        if (n == 0) {
            throw new IllegalArgumentException("0 is not a sequence number");
        }
        return n;
    }

    boolean contains(long n) {
        for (long[] r : ranges) {
            if (n >= r[0] && n <= r[1]) {
                return true;
            }
        }
        return false;
    }
}
