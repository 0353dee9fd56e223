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

    /** Ascending numbers, no repeats, written as a sequence set ({@code 1:3,7}); "" for none. */
    static String format(List<Long> sorted) {
        List<long[]> rs = new ArrayList<>();
        for (long n : sorted) {
            if (!rs.isEmpty() && rs.get(rs.size() - 1)[1] + 1 == n) {
                rs.get(rs.size() - 1)[1] = n;
            } else {
                rs.add(new long[] {n, n});
            }
        }
        return write(rs);
    }

    private static String write(List<long[]> ranges) {
        StringBuilder b = new StringBuilder();
        for (long[] r : ranges) {
            b.append(b.length() > 0 ? "," : "").append(r[0]);
            if (r[1] != r[0]) {
                b.append(':').append(r[1]);
            }
        }
        return b.toString();
    }

    /**
     * The numbers of this set, up to {@code max}, that {@code present} (ascending) lacks, as a sequence set
     * ("" when none): the UIDs a client knew that are gone. Works on ranges, so {@code 1:4294967295} costs no
     * more than the present UIDs.
     */
    String lacking(List<Long> present, long max) {
        List<long[]> gaps = new ArrayList<>();
        for (long[] r : ranges) {
            long hi = Math.min(r[1], max);
            long cur = r[0];
            int i = java.util.Collections.binarySearch(present, cur);
            i = i < 0 ? -i - 1 : i;
            while (cur <= hi) {
                if (i < present.size() && present.get(i) <= hi) {
                    if (present.get(i) > cur) {
                        gaps.add(new long[] {cur, present.get(i) - 1});
                    }
                    cur = present.get(i) + 1;
                    i++;
                } else {
                    gaps.add(new long[] {cur, hi});
                    break;
                }
            }
        }
        gaps.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] g : gaps) {
            if (!merged.isEmpty() && merged.get(merged.size() - 1)[1] + 1 >= g[0]) {
                merged.get(merged.size() - 1)[1] = Math.max(merged.get(merged.size() - 1)[1], g[1]);
            } else {
                merged.add(g.clone());
            }
        }
        return write(merged);
    }
}
