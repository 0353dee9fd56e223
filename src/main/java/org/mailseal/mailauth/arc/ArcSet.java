package org.mailseal.mailauth.arc;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimException;
import org.mailseal.mailauth.dkim.SignedHeaders;
import org.mailseal.mime.RawHeader;

/**
 * One ARC set (RFC 8617 §4.1): the ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal fields
 * of one instance {@code i}.
 */
record ArcSet(int instance, RawHeader.Field aar, RawHeader.Field ams, RawHeader.Field seal) {

    static final int MAX_INSTANCE = 50; // §4.2.1

    private static final Pattern INSTANCE = Pattern.compile("(?:^|;)\\s*i\\s*=\\s*([0-9]+)\\s*(?:;|$)");

    /** The instance number a field's tag list names (the AAR starts with it too, §4.1.1). */
    static int instanceOf(RawHeader.Field f) throws DkimException {
        Matcher m = INSTANCE.matcher(f.value());
        if (!m.find() || m.group(1).length() > 3) {
            throw new DkimException("ARC field without a valid i= tag");
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The message's ARC sets, i=1 first; empty when it has none. Any irregularity (a set incomplete or given
     * twice, a gap, more than 50) makes the chain fail (§5.2 steps 1-2).
     */
    static List<ArcSet> of(RawHeader h) throws DkimException {
        Map<Integer, RawHeader.Field[]> by = new TreeMap<>();
        for (RawHeader.Field f : h.fields()) {
            int kind = f.is("ARC-Authentication-Results") ? 0 : f.is("ARC-Message-Signature") ? 1 : f.is("ARC-Seal") ? 2 : -1;
            if (kind < 0) {
                continue;
            }
            int i = instanceOf(f);
            if (i < 1 || i > MAX_INSTANCE) {
                throw new DkimException("ARC instance out of range: " + i);
            }
            RawHeader.Field[] set = by.computeIfAbsent(i, k -> new RawHeader.Field[3]);
            if (set[kind] != null) {
                throw new DkimException("ARC set " + i + " has a field twice");
            }
            set[kind] = f;
        }
        List<ArcSet> out = new ArrayList<>();
        int expected = 1;
        for (Map.Entry<Integer, RawHeader.Field[]> e : by.entrySet()) {
            RawHeader.Field[] s = e.getValue();
            if (e.getKey() != expected++ || s[0] == null || s[1] == null || s[2] == null) {
                throw new DkimException("ARC set " + e.getKey() + " is incomplete or out of sequence");
            }
            out.add(new ArcSet(e.getKey(), s[0], s[1], s[2]));
        }
        return out;
    }

    /**
     * The data an ARC-Seal of instance {@code last.instance()} signs (§5.1.1): every set up to it, each as
     * AAR, AMS, AS, relaxed; the last seal with its b= value emptied and without its final CRLF.
     */
    static byte[] sealData(List<ArcSet> upTo) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int k = 0; k < upTo.size(); k++) {
            ArcSet s = upTo.get(k);
            out.writeBytes(Canonicalization.RELAXED.header(s.aar().raw()));
            out.writeBytes(Canonicalization.RELAXED.header(s.ams().raw()));
            if (k < upTo.size() - 1) {
                out.writeBytes(Canonicalization.RELAXED.header(s.seal().raw()));
            } else {
                byte[] seal = Canonicalization.RELAXED.header(SignedHeaders.withoutB(s.seal().raw()));
                out.write(seal, 0, seal.length - 2);
            }
        }
        return out.toByteArray();
    }
}
