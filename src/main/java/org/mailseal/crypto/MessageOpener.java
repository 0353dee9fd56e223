package org.mailseal.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.crypto.smime.SmimeDecryptor;
import org.mailseal.mime.ContentTypes;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.InlinePgp;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;

/**
 * Opens an encrypted message with the sender's or the relay key: S/MIME (RFC 8551), PGP/MIME (RFC 3156
 * §4, its two-part structure checked) or an inline armor block that is the whole body. The plaintext
 * goes to a {@link CappedOutputStream}; an OpenPGP signature inside is verified against the keys the
 * sender registered. Whether the result may be relayed is the policy's question, not this class's.
 */
public final class MessageOpener {

    /** The keys an opening may use. */
    public interface Keys {
        List<SmimeDecryptor.Candidate> smimeKeys(String email) throws Exception;

        List<PgpDecryptor.Candidate> pgpCandidates(String email) throws Exception;

        /** A signing key {@code email} registered with this key id, or null. */
        PGPPublicKey registeredSigningKey(String email, long keyId) throws Exception;
    }

    /** The message's body again, from its start (its header was parsed once, by the caller). */
    public interface Body {
        InputStream open() throws IOException;
    }

    /** What was opened: with which key (the relay key or the sender's), and the OpenPGP signature inside, if any. */
    public record Opened(boolean relayKey, boolean smime, String keyId, String signer, PgpDecryptor.Signature pgpSignature) {
    }

    /** The ciphertext or its structure is not acceptable (the caller answers its one uniform refusal). */
    public static final class Refused extends Exception {
        public Refused(String reason) {
            super(reason);
        }
    }

    private MessageOpener() {
    }

    /**
     * Opens {@code content} (header {@code outer}, body in {@code body}) of {@code kind} for {@code sender},
     * with the sender's keys and those of {@code relay}. Empty: encrypted to keys the gateway does not hold.
     * {@link PgpDecryptor.KeyUnavailableException}: a key that exists could not be used now (a transient fault).
     */
    public static Optional<Opened> open(Path content, Body bodies, RawHeader outer, InputStream body, EncryptionDetector.Kind kind,
                                        String sender, String relay, Keys keys, CappedOutputStream out) throws Exception {
        if (kind == EncryptionDetector.Kind.SMIME) {
            List<SmimeDecryptor.Candidate> relayKeys = keys.smimeKeys(relay);
            List<SmimeDecryptor.Candidate> cands = new ArrayList<>(keys.smimeKeys(sender));
            cands.addAll(relayKeys);
            InputStream der = "base64".equalsIgnoreCase(trim(outer.value("Content-Transfer-Encoding")))
                    ? java.util.Base64.getMimeDecoder().wrap(body) : body;
            boolean auth = "authenveloped-data".equalsIgnoreCase(String.valueOf(ContentTypes.param(outer.value("Content-Type"), "smime-type")));
            Optional<SmimeDecryptor.Candidate> used;
            try {
                used = SmimeDecryptor.decrypt(der, auth, cands, out);
            } catch (org.bouncycastle.cms.CMSException e) {
                throw out.exceeded() ? new CappedOutputStream.TooLarge() : new Refused("S/MIME decryption failed");
            }
            if (used.isEmpty()) {
                return Optional.empty();
            }
            String fpr = SmimeCerts.fingerprint(used.get().cert());
            boolean isRelay = relayKeys.stream().anyMatch(c -> SmimeCerts.fingerprint(c.cert()).equals(fpr));
            return Optional.of(new Opened(isRelay, true, "S/MIME " + fpr, null, null));
        }
        InputStream armored;
        if (kind == EncryptionDetector.Kind.PGP_MIME) {
            armored = pgpMimePayload(bodies, outer, body);
        } else {
            if (!InlinePgp.isWholeBody(content)) {
                return Optional.empty(); // armor quoted in a longer text: plaintext, never decrypted
            }
            armored = body;
        }
        List<PgpDecryptor.Candidate> relayKeys = keys.pgpCandidates(relay);
        List<PgpDecryptor.Candidate> cands = new ArrayList<>(keys.pgpCandidates(sender));
        cands.addAll(relayKeys);
        Optional<PgpDecryptor.Result> r;
        try {
            r = PgpDecryptor.decrypt(armored, cands, id -> {
                try {
                    return keys.registeredSigningKey(sender, id);
                } catch (Exception e) {
                    return null;
                }
            }, out);
        } catch (PgpDecryptor.KeyUnavailableException e) {
            throw e;
        } catch (org.bouncycastle.openpgp.PGPException e) {
            throw out.exceeded() ? new CappedOutputStream.TooLarge() : new Refused("OpenPGP decryption failed");
        }
        if (r.isEmpty()) {
            return Optional.empty();
        }
        PgpDecryptor.Signature s = r.get().signature();
        String signer = s != null && s.valid() ? PgpKeys.fingerprint(s.signer()) : null;
        String fpr = r.get().fingerprint();
        boolean isRelay = relayKeys.stream().anyMatch(c -> PgpKeys.fingerprint(c.ring().getPublicKey()).equals(fpr));
        return Optional.of(new Opened(isRelay, false, "OpenPGP " + fpr, signer, s));
    }

    // RFC 3156 §4: multipart/encrypted; protocol="application/pgp-encrypted", exactly two parts, the
    // first application/pgp-encrypted, the second application/octet-stream holding the armored message.
    private static InputStream pgpMimePayload(Body bodies, RawHeader outer, InputStream body) throws Exception {
        String ct = outer.value("Content-Type");
        String boundary = ContentTypes.param(ct, "boundary");
        if (boundary == null || !"application/pgp-encrypted".equalsIgnoreCase(trim(ContentTypes.param(ct, "protocol")))) {
            throw new Refused("multipart/encrypted without boundary or with another protocol");
        }
        try (InputStream all = bodies.open()) {
            if (MimeParts.count(all, boundary) != 2) {
                throw new Refused("PGP/MIME message without exactly two parts");
            }
        } catch (MimeParts.MalformedException e) {
            throw new Refused("malformed PGP/MIME structure: " + e.getMessage());
        }
        try (InputStream first = bodies.open()) {
            if (!MimeParts.open(first, boundary, 1).header().mediaType().equals("application/pgp-encrypted")) {
                throw new Refused("first PGP/MIME part is not application/pgp-encrypted");
            }
        }
        try {
            return MimeParts.open(body, boundary, 2).body();
        } catch (MimeParts.MalformedException e) {
            throw new Refused("malformed PGP/MIME structure: " + e.getMessage());
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
