package org.mailseal.mailauth.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.Verdict;
import org.mailseal.mime.RawHeader;

/**
 * Verifies every DKIM-Signature of a message (RFC 6376 §6), reading the body once for all of them. A DNS
 * failure is {@code temperror}, never {@code fail} (§6.1.2). A signature with {@code l=} that leaves
 * content after the signed part counts as {@code policy}: a sender can sign a short body and anyone can
 * append to it (§8.2), so it proves nothing about what the recipient reads.
 */
public final class DkimVerifier {

    /** How far the signer's clock may be ahead of ours when {@code x=} is checked (§3.5: x= MAY be enforced). */
    static final long CLOCK_SKEW_SECONDS = 300;

    /** The most signatures checked per message; the rest are reported as {@code policy}. */
    public static final int MAX_SIGNATURES = 8;

    /** Where key records come from: the resolver in the gateway. */
    public interface KeyLookup {
        DnsResolver.Answer<String> txt(String name);
    }

    private final KeyLookup keys;

    public DkimVerifier(KeyLookup keys) {
        this.keys = keys;
    }

    /** One signature under examination. */
    private static final class Sig {
        final RawHeader.Field field;
        TagList tags;
        DkimAlgorithm alg;
        Canonicalization headerCanon;
        Canonicalization bodyCanon;
        String domain = "";
        String selector = "";
        String bPrefix = "";
        BodyHash body;
        long limit = -1;
        DkimResult result;

        Sig(RawHeader.Field field) {
            this.field = field;
        }

        void done(Verdict v, String reason) {
            result = new DkimResult(v, domain, selector, alg != null ? alg.tag() : (tags != null && tags.get("a") != null ? tags.get("a") : ""),
                    bPrefix, reason);
        }
    }

    /** The verdict of each signature, top of the header first; empty when the message has none. */
    public List<DkimResult> verify(RawHeader header, InputStream body, Instant now) throws IOException {
        List<Sig> sigs = new ArrayList<>();
        for (RawHeader.Field f : header.fields()) {
            if (f.name().strip().equalsIgnoreCase("DKIM-Signature")) {
                Sig s = new Sig(f);
                if (sigs.size() >= MAX_SIGNATURES) {
                    s.done(Verdict.POLICY, "too many signatures");
                } else {
                    parse(s, now);
                }
                sigs.add(s);
            }
        }
        List<Sig> needBody = sigs.stream().filter(s -> s.result == null).toList();
        if (!needBody.isEmpty()) {
            OutputStream all = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    for (Sig s : needBody) {
                        s.body.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    for (Sig s : needBody) {
                        s.body.write(b, off, len);
                    }
                }
            };
            body.transferTo(all);
            for (Sig s : needBody) {
                finish(s, header);
            }
        }
        return sigs.stream().map(s -> s.result).toList();
    }

    private void parse(Sig s, Instant now) {
        try {
            s.tags = TagList.parse(s.field.value());
            TagList t = s.tags;
            s.domain = t.get("d") != null ? t.get("d").toLowerCase(Locale.ROOT) : "";
            s.selector = t.get("s") != null ? t.get("s") : "";
            String b = t.compact("b");
            s.bPrefix = b != null ? b.substring(0, Math.min(8, b.length())) : "";
            for (String req : new String[] {"v", "a", "b", "bh", "d", "h", "s"}) {
                if (!t.has(req)) {
                    throw new DkimException("no " + req + "= tag"); // §6.1.1
                }
            }
            if (!t.get("v").equals("1")) {
                throw new DkimException("unknown version v=" + t.get("v"));
            }
            s.alg = DkimAlgorithm.of(t.get("a"));
            String c = t.has("c") ? t.compact("c") : "simple/simple";
            String[] cs = c.split("/", -1);
            if (cs.length > 2) {
                throw new DkimException("bad c=");
            }
            s.headerCanon = Canonicalization.of(cs[0]);
            s.bodyCanon = cs.length == 2 ? Canonicalization.of(cs[1]) : Canonicalization.SIMPLE;
            List<String> h = Arrays.stream(t.compact("h").split(":")).map(x -> x.toLowerCase(Locale.ROOT)).toList();
            if (!h.contains("from")) {
                throw new DkimException("From is not signed"); // §5.4
            }
            if (!s.domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
                throw new DkimException("bad d=");
            }
            if (!s.selector.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
                throw new DkimException("bad s=");
            }
            String i = t.get("i");
            if (i != null) {
                String id = i.substring(i.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
                if (!id.equals(s.domain) && !id.endsWith("." + s.domain)) {
                    throw new DkimException("i= is not in d="); // §3.5
                }
            }
            if (t.has("q") && !Arrays.asList(t.compact("q").split(":")).contains("dns/txt")) {
                throw new DkimException("no dns/txt in q=");
            }
            long l = Long.MAX_VALUE;
            if (t.has("l")) {
                if (!t.compact("l").matches("[0-9]{1,76}")) {
                    throw new DkimException("bad l=");
                }
                l = new java.math.BigInteger(t.compact("l")).min(java.math.BigInteger.valueOf(Long.MAX_VALUE)).longValue();
            }
            if (t.has("x")) {
                long x = Long.parseLong(t.compact("x"));
                if (t.has("t") && x < Long.parseLong(t.compact("t"))) {
                    throw new DkimException("x= before t=");
                }
                if (x + CLOCK_SKEW_SECONDS < now.getEpochSecond()) {
                    s.done(Verdict.FAIL, "signature expired");
                    return;
                }
            }
            s.limit = t.has("l") ? l : -1;
            s.body = new BodyHash(s.bodyCanon, l);
        } catch (DkimException e) {
            s.done(Verdict.PERMERROR, e.getMessage());
        } catch (NumberFormatException e) {
            s.done(Verdict.PERMERROR, "bad number");
        }
    }

    private void finish(Sig s, RawHeader header) throws IOException {
        byte[] bh = s.body.finish();
        TagList t = s.tags;
        long length = s.body.canonicalLength();
        byte[] claimed;
        byte[] sig;
        try {
            claimed = Base64.getDecoder().decode(t.compact("bh"));
            sig = Base64.getDecoder().decode(t.compact("b"));
        } catch (IllegalArgumentException e) {
            s.done(Verdict.PERMERROR, "bad base64");
            return;
        }
        if (s.limit >= 0 && length < s.limit) {
            s.done(Verdict.FAIL, "body shorter than l="); // §3.5, l=
            return;
        }
        if (!MessageDigest.isEqual(bh, claimed)) {
            s.done(Verdict.FAIL, "body hash did not verify");
            return;
        }
        String name = s.selector + "._domainkey." + s.domain;
        DnsResolver.Answer<String> a = keys.txt(name);
        if (a.status() == DnsResolver.Status.TEMPERROR) {
            s.done(Verdict.TEMPERROR, "key lookup failed: " + a.reason()); // §6.1.2
            return;
        }
        if (a.status() == DnsResolver.Status.NONE) {
            s.done(Verdict.PERMERROR, "no key for signature");
            return;
        }
        DkimKeyRecord key = null;
        String why = "no usable key";
        for (String txt : a.records()) {
            try {
                key = DkimKeyRecord.parse(txt);
                break;
            } catch (DkimException e) {
                why = e.getMessage();
            }
        }
        if (key == null) {
            s.done(Verdict.PERMERROR, why);
            return;
        }
        if (key.algorithm() != s.alg) {
            s.done(Verdict.PERMERROR, "key type does not match a=");
            return;
        }
        if (key.strictIdentity() && t.has("i")) {
            String id = t.get("i").substring(t.get("i").lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
            if (!id.equals(s.domain)) {
                s.done(Verdict.PERMERROR, "key forbids subdomains in i= (t=s)");
                return;
            }
        }
        byte[] data = SignedHeaders.data(header.fields(), Arrays.asList(t.compact("h").split(":")), s.headerCanon, s.field.raw());
        boolean ok;
        try {
            ok = DkimSigner.verify(s.alg, key.key(), data, sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            s.done(Verdict.FAIL, "signature did not verify");
        } else if (s.limit >= 0 && length > s.limit) {
            s.done(Verdict.POLICY, "l= leaves " + (length - s.limit) + " body bytes unsigned");
        } else {
            s.done(Verdict.PASS, key.testing() ? "testing key (t=y)" : null);
        }
    }
}
