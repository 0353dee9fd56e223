package org.mailseal.mailauth.arc;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.Verdict;
import org.mailseal.mailauth.dkim.BodyHash;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import org.mailseal.mailauth.dkim.DkimException;
import org.mailseal.mailauth.dkim.DkimKeyRecord;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.mailauth.dkim.DkimVerifier;
import org.mailseal.mailauth.dkim.SignedHeaders;
import org.mailseal.mailauth.dkim.TagList;
import org.mailseal.mime.RawHeader;

/**
 * Validates a message's ARC chain (RFC 8617 §5.2): the sets are complete and in sequence, the newest seal
 * does not say cv=fail, the first says cv=none and every later one cv=pass, the newest
 * ARC-Message-Signature verifies like a DKIM signature, and every ARC-Seal verifies. A key lookup that
 * fails is {@code temperror}.
 */
public final class ArcVerifier {

    /** The chain's verdict ({@code none}: no ARC sets), the newest instance, and why it is not a pass. */
    public record Result(Verdict verdict, int instance, String reason) {
        /** The cv= a sealer adding the next set writes (§5.1.1). */
        public String cv() {
            return verdict == Verdict.PASS ? "pass" : verdict == Verdict.NONE ? "none" : "fail";
        }
    }

    private final DkimVerifier.KeyLookup keys;

    public ArcVerifier(DkimVerifier.KeyLookup keys) {
        this.keys = keys;
    }

    private static final class Temporary extends Exception {
        Temporary(String m) {
            super(m);
        }
    }

    /** {@code body} is read only when there is a chain to check (the caller closes it). */
    public Result verify(RawHeader h, InputStream body) throws IOException {
        List<ArcSet> sets;
        try {
            sets = ArcSet.of(h);
        } catch (DkimException e) {
            return new Result(Verdict.FAIL, 0, e.getMessage());
        }
        if (sets.isEmpty()) {
            return new Result(Verdict.NONE, 0, null);
        }
        int n = sets.size();
        try {
            for (ArcSet s : sets) {
                String cv = TagList.parse(s.seal().value()).lower("cv");
                if ("fail".equals(cv) && s.instance() == n) {
                            return new Result(Verdict.FAIL, n, "the last seal says cv=fail");
                }
                if (!(s.instance() == 1 ? "none" : "pass").equals(cv)) {
                            return new Result(Verdict.FAIL, n, "ARC-Seal i=" + s.instance() + " has cv=" + cv);
                }
            }
            // The newest AMS, as a DKIM signature over the message as it is now (§5.2 step 4).
            ArcSet last = sets.get(n - 1);
            TagList ams = TagList.parse(last.ams().value());
            String c = ams.has("c") ? ams.compact("c") : "simple/simple";
            String[] cs = c.split("/", -1);
            Canonicalization hc = Canonicalization.of(cs[0]);
            Canonicalization bc = cs.length > 1 ? Canonicalization.of(cs[1]) : Canonicalization.SIMPLE;
            byte[] bh = BodyHash.of(body, bc);
            if (ams.compact("bh") == null || !MessageDigest.isEqual(bh, Base64.getDecoder().decode(ams.compact("bh")))) {
                return new Result(Verdict.FAIL, n, "ARC-Message-Signature i=" + n + ": body hash did not verify");
            }
            List<String> names = Arrays.stream(ams.compact("h").split(":")).map(x -> x.toLowerCase(Locale.ROOT)).toList();
            if (names.stream().anyMatch(x -> x.equals("arc-seal"))) {
                return new Result(Verdict.FAIL, n, "ARC-Message-Signature signs an ARC-Seal");
            }
            byte[] data = SignedHeaders.data(h.fields(), names, hc, last.ams().raw());
            if (!verifies(ams, data)) {
                return new Result(Verdict.FAIL, n, "ARC-Message-Signature i=" + n + " did not verify");
            }
            // Every seal, newest first (§5.2 step 6).
            for (int i = n; i >= 1; i--) {
                TagList as = TagList.parse(sets.get(i - 1).seal().value());
                if (!verifies(as, ArcSet.sealData(sets.subList(0, i)))) {
                    return new Result(Verdict.FAIL, n, "ARC-Seal i=" + i + " did not verify");
                }
            }
            return new Result(Verdict.PASS, n, null);
        } catch (Temporary e) {
            return new Result(Verdict.TEMPERROR, n, e.getMessage());
        } catch (DkimException | RuntimeException e) {
            return new Result(Verdict.FAIL, n, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    private boolean verifies(TagList t, byte[] data) throws DkimException, Temporary {
        DkimAlgorithm alg = DkimAlgorithm.of(t.get("a"));
        String d = t.get("d");
        String s = t.get("s");
        if (d == null || s == null || t.compact("b") == null) {
            throw new DkimException("ARC signature without d=, s= or b=");
        }
        DnsResolver.Answer<String> a = keys.txt(s + "._domainkey." + d.toLowerCase(Locale.ROOT));
        if (a.status() == DnsResolver.Status.TEMPERROR) {
            throw new Temporary("key lookup failed: " + a.reason());
        }
        for (String txt : a.records()) {
            DkimKeyRecord key;
            try {
                key = DkimKeyRecord.parse(txt);
            } catch (DkimException e) {
                continue;
            }
            try {
                return key.algorithm() == alg && DkimSigner.verify(alg, key.key(), data, Base64.getDecoder().decode(t.compact("b")));
            } catch (GeneralSecurityException e) {
                return false;
            }
        }
        throw new DkimException("no key for " + s + "._domainkey." + d);
    }
}
