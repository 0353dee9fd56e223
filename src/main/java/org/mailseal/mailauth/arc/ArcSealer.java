package org.mailseal.mailauth.arc;

import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimException;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.mailauth.dkim.SignedHeaders;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;

/**
 * Adds the next ARC set (RFC 8617 §5.1) to a message the gateway changed: an ARC-Authentication-Results
 * with the verdict it reached before the change, an ARC-Message-Signature over the message as it leaves,
 * and an ARC-Seal over all sets with {@code cv} from the incoming chain. rsa-sha256 only: RFC 8617 defines
 * no other algorithm that receivers are known to take.
 */
public final class ArcSealer {

    /** Fields the ARC-Message-Signature covers when present (never ARC-* fields, §4.1.2). */
    static final List<String> SIGNED = List.of("from", "reply-to", "subject", "date", "to", "cc", "message-id", "in-reply-to", "references",
            "mime-version", "content-type", "content-transfer-encoding", "dkim-signature");

    private ArcSealer() {
    }

    /**
     * The three fields of the next set, to be put on top of the header in this order (AS, AMS, AAR); empty
     * when the chain already has 50 sets. {@code results}: the resinfo part of our Authentication-Results
     * (after the authserv-id); {@code incoming}: the chain's verdict as verified before the message changed
     * ({@code pass}, {@code fail} or {@code none}; anything else counts as fail).
     */
    public static List<RawHeader.Field> seal(RawHeader h, byte[] relaxedBodyHash, DkimSigner.SigningKey key, String authservId, String results,
                                             String incoming, Instant now) throws GeneralSecurityException {
        int last = 0;
        for (RawHeader.Field f : h.fields()) {
            if (f.is("ARC-Seal")) {
                try {
                    last = Math.max(last, ArcSet.instanceOf(f));
                } catch (DkimException e) {
                    incoming = "fail";
                }
            }
        }
        int i = last + 1;
        if (i > ArcSet.MAX_INSTANCE) {
            return List.of();
        }
        String cv = last == 0 ? "none" : "pass".equals(incoming) ? "pass" : "fail";
        // A chain that failed is not carried on: the seal says cv=fail and covers its own set only (as dkimpy does).
        List<ArcSet> sets = List.of();
        if (cv.equals("pass")) {
            try {
                sets = ArcSet.of(h);
            } catch (DkimException e) {
                cv = "fail";
            }
        }
        RawHeader.Field aar = HeaderRewriter.field("ARC-Authentication-Results", "i=" + i + "; " + authservId + ";\r\n\t" + results);
        List<String> names = new ArrayList<>();
        for (String n : SIGNED) {
            h.fields().stream().filter(f -> f.name().strip().equalsIgnoreCase(n)).forEach(f -> names.add(n));
        }
        String d = key.domain().toLowerCase(Locale.ROOT);
        String amsHead = "ARC-Message-Signature: i=" + i + "; a=rsa-sha256; c=relaxed/relaxed; d=" + d + "; s=" + key.selector()
                + ";\r\n\tt=" + now.getEpochSecond() + "; h=" + String.join(":", names) + ";\r\n\tbh="
                + Base64.getEncoder().encodeToString(relaxedBodyHash) + ";\r\n\tb=";
        byte[] amsData = SignedHeaders.data(h.fields(), names, Canonicalization.RELAXED,
                (amsHead + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        RawHeader.Field ams = DkimSigner.completed("ARC-Message-Signature", amsHead,
                DkimSigner.signature(key.algorithm(), key.key(), amsData));
        String asHead = "ARC-Seal: i=" + i + "; a=rsa-sha256; t=" + now.getEpochSecond() + "; cv=" + cv + ";\r\n\td=" + d + "; s=" + key.selector()
                + ";\r\n\tb=";
        RawHeader.Field unsigned = new RawHeader.Field("ARC-Seal", (asHead + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        List<ArcSet> all = new ArrayList<>(sets);
        all.add(new ArcSet(i, aar, ams, unsigned));
        RawHeader.Field seal = DkimSigner.completed("ARC-Seal", asHead, DkimSigner.signature(key.algorithm(), key.key(), ArcSet.sealData(all)));
        return List.of(seal, ams, aar);
    }
}
