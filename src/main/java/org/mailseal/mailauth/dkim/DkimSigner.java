package org.mailseal.mailauth.dkim;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mailseal.mime.RawHeader;

/**
 * Makes a DKIM-Signature field (RFC 6376 §5): relaxed/relaxed, no {@code l=} (§8.2), the usual fields
 * signed, and From, Reply-To, Subject, To, Cc and Content-Type signed once more than they occur, so that no
 * instance can be added on the way (§5.4.2, "over-signing").
 */
public final class DkimSigner {

    /** A domain's private signing key under one selector. */
    public record SigningKey(String domain, String selector, DkimAlgorithm algorithm, PrivateKey key) {
    }

    /** Fields signed when present, in this order (§5.4.1's recommendations). */
    static final List<String> SIGNED = List.of("from", "reply-to", "subject", "date", "to", "cc", "message-id", "in-reply-to", "references",
            "mime-version", "content-type", "content-transfer-encoding", "sender", "list-id", "list-unsubscribe", "list-unsubscribe-post",
            "autocrypt", "openpgp");
    /** Signed once more than present: nobody can add one. */
    static final Set<String> OVERSIGNED = Set.of("from", "reply-to", "subject", "to", "cc", "content-type");

    private DkimSigner() {
    }

    /** The h= list for {@code fields}. */
    static List<String> headerNames(List<RawHeader.Field> fields) {
        List<String> names = new ArrayList<>();
        for (String n : SIGNED) {
            long count = fields.stream().filter(f -> f.name().strip().equalsIgnoreCase(n)).count();
            for (long i = 0; i < count + (OVERSIGNED.contains(n) ? 1 : 0); i++) {
                names.add(n);
            }
        }
        return names;
    }

    /** The signature field for a message with {@code fields} and a body whose relaxed hash is {@code bodyHash}. */
    public static RawHeader.Field sign(List<RawHeader.Field> fields, byte[] bodyHash, SigningKey k, Instant now) throws GeneralSecurityException {
        List<String> names = headerNames(fields);
        String head = "DKIM-Signature: v=1; a=" + k.algorithm().tag() + "; c=relaxed/relaxed; d=" + k.domain().toLowerCase(Locale.ROOT)
                + "; s=" + k.selector() + ";\r\n\tt=" + now.getEpochSecond() + "; h=" + String.join(":", names)
                + ";\r\n\tbh=" + Base64.getEncoder().encodeToString(bodyHash) + ";\r\n\tb=";
        byte[] data = SignedHeaders.data(fields, names, Canonicalization.RELAXED,
                (head + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        return completed("DKIM-Signature", head, signature(k.algorithm(), k.key(), data));
    }

    /** The field {@code head} (ending in "b=") with the signature appended, folded, and CRLF. */
    public static RawHeader.Field completed(String name, String head, byte[] signature) {
        String b = Base64.getEncoder().encodeToString(signature);
        StringBuilder folded = new StringBuilder(head);
        for (int i = 0; i < b.length(); i += 72) {
            folded.append(i == 0 ? "" : "\r\n\t ").append(b, i, Math.min(b.length(), i + 72));
        }
        folded.append("\r\n");
        return new RawHeader.Field(name, folded.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    /** rsa-sha256: PKCS#1 v1.5 over SHA-256 of the data; ed25519-sha256: Ed25519 over the SHA-256 hash (RFC 8463 §3). */
    public static byte[] signature(DkimAlgorithm alg, PrivateKey key, byte[] data) throws GeneralSecurityException {
        if (alg == DkimAlgorithm.RSA_SHA256) {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(data);
            return s.sign();
        }
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(MessageDigest.getInstance("SHA-256").digest(data));
        return s.sign();
    }

    public static boolean verify(DkimAlgorithm alg, java.security.PublicKey key, byte[] data, byte[] sig) throws GeneralSecurityException {
        Signature s = Signature.getInstance(alg == DkimAlgorithm.RSA_SHA256 ? "SHA256withRSA" : "Ed25519");
        s.initVerify(key);
        s.update(alg == DkimAlgorithm.RSA_SHA256 ? data : MessageDigest.getInstance("SHA-256").digest(data));
        return s.verify(sig);
    }
}
