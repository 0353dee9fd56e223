package org.mailseal.pipeline;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.crypto.smime.SmimeDecryptor;
import org.mailseal.keys.DecryptionKeys;
import org.mailseal.keys.ReplayCache;
import org.mailseal.keys.StorageSeal;
import org.mailseal.mime.ContentTypes;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.InlinePgp;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound decryption. A message from a local user that is encrypted as a whole (PGP/MIME, an inline
 * PGP body, or S/MIME enveloped/authEnveloped data) to the sender's own key or to the relay key of the
 * sender's domain is decrypted, its protected header restored (RFC 9788 §4), and the inner From checked
 * against the sender. Only top-level encryption counts: ciphertext quoted or attached is never touched.
 *
 * <p>No oracle (EFAIL, and the provider as attacker): every decryption, to the sender's own key, a
 * gateway-managed key or the relay key, needs the sender's fresh intent: a valid signature inside the
 * encryption by a key registered to the sender, made within the signature window and never seen before
 * (replay cache). The signature also proves the integrity CBC S/MIME lacks. A message carrying
 * mailseal's own storage seal ({@link StorageSeal}: inbound mail, Sent copies) is never relayed. Any
 * refusal once the message is known to be for one of our keys (integrity, truncation, malformed
 * packets, a missing MDC, no or a stale or replayed signature, a foreign From, the seal) gets one and
 * the same reply, and the plaintext is deleted; the log says which it was.
 */
public final class DecryptStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("decrypt");
    static final SmtpReply FAILED = SmtpReply.of(550, "5.7.5", "Error: the message could not be decrypted and relayed"
            + " (encrypt it to your key or the relay key, signed with your registered key, and send it fresh)");

    private final Spool spool;
    private final DecryptionKeys keys;
    private final ReplayCache replay;
    private final Duration window;
    private final org.mailseal.auth.SenderAddresses addresses;
    private final long maxPlaintext;
    private final StorageSeal seal;

    /**
     * {@code maxPlaintext}: the largest decrypted message accepted; more (a compression bomb) is refused
     * with 552 before the disk fills.
     */
    public DecryptStage(Spool spool, DecryptionKeys keys, ReplayCache replay, Duration window, org.mailseal.auth.SenderAddresses addresses,
                        long maxPlaintext, StorageSeal seal) {
        this.maxPlaintext = maxPlaintext;
        this.seal = seal;
        this.spool = spool;
        this.keys = keys;
        this.replay = replay;
        this.window = window;
        this.addresses = addresses;
    }

    @Override
    public String name() {
        return "decrypt";
    }

    /** Refused with a 5xx; the reason is logged, the client gets {@code reply}. */
    private static final class Refused extends Exception {
        final SmtpReply reply;

        Refused(SmtpReply reply, String reason) {
            super(reason);
            this.reply = reply;
        }
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        Routing routing = new Routing();
        MailItem out = item;
        RawHeader outer;
        EncryptionDetector.Kind kind;
        try (InputStream in = item.openBody()) {
            outer = item.header();
            kind = EncryptionDetector.claimed(outer, in); // what the client says it encrypted; a failure to open it is refused
        } catch (RawHeader.TooLargeException e) {
            return routing.reject(out, MailItem.HEADER_TOO_LARGE);
        }
        if (kind == EncryptionDetector.Kind.NONE || kind == EncryptionDetector.Kind.PGP_MIME_MANGLED) {
            return routing.proceedWith(out);
        }
        String sender = item.senderIdentity();
        if (sender == null) {
            log.info("{}: encrypted ({}) but no sender identity; relayed as it is", item.queueId(), label(kind));
            return routing.proceedWith(out);
        }
        Path plain = spool.workFile(item.queueId(), ".dec");
        Path result = spool.workFile(item.queueId(), ".out");
        boolean ok = false;
        try {
            Opened opened = decrypt(item, outer, kind, sender, plain);
            if (opened == null) {
                log.info("{}: encrypted ({}) to keys the gateway does not hold; relayed as it is (end to end)", item.queueId(), label(kind));
                return routing.proceedWith(out);
            }
            checkSealed(plain, kind);
            byte[] signed = checkSignature(sender, opened, plain);
            String innerFrom = assemble(outer, plain, kind, result);
            checkFrom(sender, innerFrom);
            // Last, so a message refused for another reason can be mended and sent again: now it is relayed once.
            if (!replay.firstSeen(signed, item.queueId())) {
                throw new Refused(FAILED, "signature seen before (replay)");
            }
            log.info("{}: decrypted ({}, {} {}{}) for {}", item.queueId(), label(kind), opened.relayKey() ? "relay key" : "sender key",
                    opened.keyId(), opened.signer() != null ? ", signed by " + opened.signer() : "", item.recipients());
            ok = true;
            return routing.proceedWith(out.withContent(result));
        } catch (Refused r) {
            log.warn("{}: from=<{}>: rejected: {}", item.queueId(), sender, r.getMessage());
            return routing.reject(out, r.reply);
        } catch (Capped.TooLarge big) {
            log.warn("{}: from=<{}>: rejected: decrypted message larger than {} bytes (compression bomb?)", item.queueId(), sender, maxPlaintext);
            return routing.reject(out, SmtpReply.of(552, "5.3.4", "Error: the decrypted message exceeds " + maxPlaintext + " bytes"));
        } finally {
            Files.deleteIfExists(plain);
            if (!ok) {
                Files.deleteIfExists(result);
            }
        }
    }

    /** Which key opened the message: a relay key (found among the relay address's keys) or the sender's, S/MIME or OpenPGP. */
    private record Opened(boolean relayKey, boolean smime, String keyId, String signer, PgpDecryptor.Signature pgpSignature) {
    }

    private Opened decrypt(MailItem item, RawHeader outer, EncryptionDetector.Kind kind, String sender, Path plain) throws Exception {
        String domain = sender.substring(sender.lastIndexOf('@') + 1);
        String relay = keys.relayAddress(domain);
        try (InputStream in = item.openBody();
             Capped o = new Capped(new BufferedOutputStream(Files.newOutputStream(plain), 65536), maxPlaintext)) {
            if (kind == EncryptionDetector.Kind.SMIME) {
                List<SmimeDecryptor.Candidate> relayKeys = keys.smimeKeys(relay);
                List<SmimeDecryptor.Candidate> cands = new ArrayList<>(keys.smimeKeys(sender));
                cands.addAll(relayKeys);
                InputStream der = "base64".equalsIgnoreCase(trim(outer.value("Content-Transfer-Encoding")))
                        ? java.util.Base64.getMimeDecoder().wrap(in) : in;
                boolean auth = "authenveloped-data".equalsIgnoreCase(String.valueOf(ContentTypes.param(outer.value("Content-Type"), "smime-type")));
                Optional<SmimeDecryptor.Candidate> used;
                try {
                    used = SmimeDecryptor.decrypt(der, auth, cands, o);
                } catch (org.bouncycastle.cms.CMSException e) {
                    throw o.exceeded() ? new Capped.TooLarge() : new Refused(FAILED, "S/MIME decryption failed");
                }
                if (used.isEmpty()) {
                    return null;
                }
                String fpr = SmimeCerts.fingerprint(used.get().cert());
                boolean isRelay = relayKeys.stream().anyMatch(c -> SmimeCerts.fingerprint(c.cert()).equals(fpr));
                return new Opened(isRelay, true, "S/MIME " + fpr, null, null);
            }
            InputStream armored;
            if (kind == EncryptionDetector.Kind.PGP_MIME) {
                armored = pgpMimePayload(item, outer, in);
            } else {
                if (!InlinePgp.isWholeBody(item.content())) {
                    return null; // armor quoted in a longer text: plaintext, never decrypted
                }
                armored = in;
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
                }, o);
            } catch (PgpDecryptor.KeyUnavailableException e) {
                throw new IOException("OpenPGP key unavailable, deferred: " + e.getMessage()); // the runner answers 4xx
            } catch (org.bouncycastle.openpgp.PGPException e) {
                throw o.exceeded() ? new Capped.TooLarge() : new Refused(FAILED, "OpenPGP decryption failed");
            }
            if (r.isEmpty()) {
                return null;
            }
            PgpDecryptor.Signature s = r.get().signature();
            String signer = s != null && s.valid() ? PgpKeys.fingerprint(s.signer()) : null;
            String fpr = r.get().fingerprint();
            boolean isRelay = relayKeys.stream().anyMatch(c -> PgpKeys.fingerprint(c.ring().getPublicKey()).equals(fpr));
            return new Opened(isRelay, false, "OpenPGP " + fpr, signer, s);
        }
    }

    // RFC 3156 §4: multipart/encrypted; protocol="application/pgp-encrypted", exactly two parts, the
    // first application/pgp-encrypted, the second application/octet-stream holding the armored message.
    private static InputStream pgpMimePayload(MailItem item, RawHeader outer, InputStream in) throws Exception {
        String ct = outer.value("Content-Type");
        String boundary = ContentTypes.param(ct, "boundary");
        if (boundary == null || !"application/pgp-encrypted".equalsIgnoreCase(trim(ContentTypes.param(ct, "protocol")))) {
            throw new Refused(FAILED, "multipart/encrypted without boundary or with another protocol");
        }
        try (InputStream all = new BufferedInputStream(item.open(), 65536)) {
            RawHeader.read(all, MailItem.MAX_HEADER);
            if (MimeParts.count(all, boundary) != 2) {
                throw new Refused(FAILED, "PGP/MIME message without exactly two parts");
            }
        } catch (MimeParts.MalformedException e) {
            throw new Refused(FAILED, "malformed PGP/MIME structure: " + e.getMessage());
        }
        try (InputStream first = new BufferedInputStream(item.open(), 65536)) {
            RawHeader.read(first, MailItem.MAX_HEADER);
            if (!MimeParts.open(first, boundary, 1).header().mediaType().equals("application/pgp-encrypted")) {
                throw new Refused(FAILED, "first PGP/MIME part is not application/pgp-encrypted");
            }
        }
        try {
            return MimeParts.open(in, boundary, 2).body();
        } catch (MimeParts.MalformedException e) {
            throw new Refused(FAILED, "malformed PGP/MIME structure: " + e.getMessage());
        }
    }

    // A copy mailseal encrypted for storage (its valid seal inside) is never decrypted for relaying.
    private void checkSealed(Path plain, EncryptionDetector.Kind kind) throws Exception {
        if (kind == EncryptionDetector.Kind.PGP_INLINE || seal == null) {
            return; // mailseal never writes inline PGP; an inline body has no header to carry a seal
        }
        RawHeader inner;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            inner = RawHeader.read(in, MailItem.MAX_HEADER);
        }
        for (RawHeader.Field f : inner.fields()) {
            if (f.is(StorageSeal.FIELD) && seal.verifies(f.value())) {
                throw new Refused(FAILED, "a copy this gateway encrypted for storage (sealed), resent for relaying");
            }
        }
    }

    /** Checks the sender's signature inside the encryption; returns its digest, for the replay cache. */
    private byte[] checkSignature(String sender, Opened opened, Path plain) throws Exception {
        PgpDecryptor.Signature s = opened.pgpSignature();
        SmtpReply unsigned = FAILED;
        if (opened.smime()) {
            return checkSmimeSignature(sender, plain, unsigned);
        }
        if (s == null) {
            throw new Refused(unsigned, "message is not signed inside the encryption");
        }
        if (s.signer() == null) {
            throw new Refused(unsigned, "message signed by unregistered key " + Long.toHexString(s.keyId()).toUpperCase(Locale.ROOT));
        }
        if (!s.valid()) {
            throw new Refused(unsigned, "message signature does not verify");
        }
        checkFreshness(s.created());
        return s.digest();
    }

    // The decrypted entity must be multipart/signed (RFC 8551 §3.5.3) by a certificate registered to the sender.
    private byte[] checkSmimeSignature(String sender, Path plain, SmtpReply unsigned) throws Exception {
        RawHeader inner;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            inner = RawHeader.read(in, MailItem.MAX_HEADER);
        }
        String ct = inner.value("Content-Type");
        String protocol = ContentTypes.param(String.valueOf(ct), "protocol");
        String boundary = ContentTypes.param(String.valueOf(ct), "boundary");
        if (!inner.mediaType().equals("multipart/signed") || boundary == null || protocol == null
                || !protocol.trim().toLowerCase(Locale.ROOT).matches("application/(x-)?pkcs7-signature")) {
            throw new Refused(unsigned, "S/MIME message is not signed inside the encryption");
        }
        // CBC gives no integrity: what the signature does not cover must be clean text (garbled blocks are not).
        if (!org.mailseal.mime.UnsignedRegions.clean(plain, boundary)) {
            throw new Refused(unsigned, "S/MIME message: bytes outside the signed part are not text (tampered ciphertext?)");
        }
        byte[] raw;
        boolean base64;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            RawHeader.read(in, MailItem.MAX_HEADER);
            MimeParts.Part sig = MimeParts.open(in, boundary, 2);
            base64 = "base64".equalsIgnoreCase(trim(sig.header().value("Content-Transfer-Encoding")));
            raw = sig.body().readNBytes(2 << 20);
        } catch (MimeParts.MalformedException | IllegalArgumentException e) {
            throw new Refused(unsigned, "S/MIME message: malformed signature part");
        }
        byte[] signature;
        try {
            signature = base64 ? new org.mailseal.mime.StrictBase64InputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes() : raw;
        } catch (IOException e) {
            throw new Refused(unsigned, "S/MIME message: signature part is not base64");
        }
        org.mailseal.crypto.smime.SmimeVerifier.Result r;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            RawHeader.read(in, MailItem.MAX_HEADER);
            r = org.mailseal.crypto.smime.SmimeVerifier.verify(MimeParts.openRaw(in, boundary, 1), signature, keys.registeredCerts(sender));
        } catch (Exception e) {
            throw new Refused(unsigned, "S/MIME message: signature unreadable (" + e.getMessage() + ")");
        }
        if (r.signer() == null) {
            throw new Refused(unsigned, "S/MIME message not validly signed by a certificate registered to the sender");
        }
        if (r.signingTime() == null) {
            throw new Refused(unsigned, "S/MIME message signature has no signing time");
        }
        checkFreshness(r.signingTime());
        return r.digest();
    }

    private void checkFreshness(Instant created) throws Exception {
        Duration skew = Duration.between(created, Instant.now()).abs();
        if (skew.compareTo(window) > 0) {
            throw new Refused(FAILED, "signature made " + created + ", outside the window of " + window);
        }
    }

    /**
     * Writes the decrypted message to {@code result}: for an inline PGP body, the outer header and the
     * plaintext; otherwise the restored header and the inner entity's body. Returns the inner From.
     */
    private static String assemble(RawHeader outer, Path plain, EncryptionDetector.Kind kind, Path result) throws Exception {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536);
             OutputStream o = new BufferedOutputStream(Files.newOutputStream(result), 65536)) {
            if (kind == EncryptionDetector.Kind.PGP_INLINE) {
                org.mailseal.mime.HeaderRewriter.write(o, outer.fields(), true, in);
                return outer.value("From");
            }
            RawHeader inner;
            try {
                inner = RawHeader.read(in, MailItem.MAX_HEADER);
            } catch (RawHeader.TooLargeException e) {
                throw new Refused(MailItem.HEADER_TOO_LARGE, "decrypted header too large");
            }
            byte[] header = HeaderProtection.restore(outer, inner);
            o.write(header);
            o.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            in.transferTo(o);
            return HeaderProtection.isProtected(inner) ? inner.value("From") : outer.value("From");
        }
    }

    // The inner From must be the sender or an address it owns (users addresses).
    private void checkFrom(String sender, String fromHeader) throws Refused, java.sql.SQLException {
        SmtpReply reply = FAILED;
        if (fromHeader == null) {
            throw new Refused(reply, "decrypted message has no From");
        }
        try {
            jakarta.mail.internet.InternetAddress[] as = jakarta.mail.internet.InternetAddress.parseHeader(fromHeader, true);
            if (as.length != 1 || as[0].getAddress() == null || !addresses.owns(sender, as[0].getAddress())) {
                throw new Refused(reply, "inner From " + fromHeader + " is not the sender <" + sender + ">");
            }
        } catch (jakarta.mail.internet.AddressException e) {
            throw new Refused(reply, "inner From unparseable");
        }
    }

    private static String label(EncryptionDetector.Kind k) {
        return switch (k) {
            case PGP_MIME -> "PGP/MIME";
            case PGP_INLINE -> "inline PGP";
            case SMIME -> "S/MIME";
            default -> k.name();
        };
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }

    /** Counts what is written and stops at a limit (the decryptors turn the error into their uniform one; exceeded() tells). */
    static final class Capped extends java.io.FilterOutputStream {
        static final class TooLarge extends java.io.IOException {
            TooLarge() {
                super("decrypted message too large");
            }
        }

        private final long limit;
        private long written;

        Capped(OutputStream out, long limit) {
            super(out);
            this.limit = limit;
        }

        boolean exceeded() {
            return written > limit;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            if (++written > limit) {
                throw new TooLarge();
            }
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            written += len;
            if (written > limit) {
                throw new TooLarge();
            }
            out.write(b, off, len);
        }
    }
}
