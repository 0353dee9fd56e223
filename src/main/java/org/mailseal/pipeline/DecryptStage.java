package org.mailseal.pipeline;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.mailseal.auth.SenderAddresses;
import org.mailseal.crypto.CappedOutputStream;
import org.mailseal.crypto.MessageOpener;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.smime.SignedInside;
import org.mailseal.keys.ReplayCache;
import org.mailseal.keys.SenderKeys;
import org.mailseal.keys.StorageSeal;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.HeaderRewriter;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.RelaySignatureRule;
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
 *
 * <p>This stage orchestrates: opening is {@link MessageOpener} and {@link SignedInside} (crypto), the
 * signature rules are {@link RelaySignatureRule} (policy), the header restoration {@link HeaderProtection}.
 */
public final class DecryptStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("decrypt");
    static final SmtpReply FAILED = SmtpReply.of(550, "5.7.5", "Error: the message could not be decrypted and relayed"
            + " (encrypt it to your key or the relay key, signed with your registered key, and send it fresh)");

    private final Spool spool;
    private final SenderKeys keys;
    private final Replays replay;
    private final RelaySignatureRule rule;
    private final Owners addresses;
    private final long maxPlaintext;
    private final StorageSeal seal;

    /**
     * {@code maxPlaintext}: the largest decrypted message accepted; more (a compression bomb) is refused
     * with 552 before the disk fills.
     */
    /** Remembers the signatures of relayed messages (a resent one is a replay); {@link ReplayCache} in the gateway. */
    public interface Replays {
        /** True the first time this signature is seen; {@code queueId} lets a failed relay release it. */
        boolean firstSeen(byte[] signature, String queueId) throws Exception;
    }

    /** Which From addresses a sender may use ({@code users addresses}); {@link SenderAddresses} in the gateway. */
    public interface Owners {
        boolean owns(String sender, String address) throws Exception;
    }

    public DecryptStage(Spool spool, SenderKeys keys, Replays replay, RelaySignatureRule rule, Owners addresses,
                        long maxPlaintext, StorageSeal seal) {
        this.spool = spool;
        this.keys = keys;
        this.replay = replay;
        this.rule = rule;
        this.addresses = addresses;
        this.maxPlaintext = maxPlaintext;
        this.seal = seal;
    }

    @Override
    public String name() {
        return "decrypt";
    }

    /** Refused: the reason is logged, the client gets the one uniform reply. */
    private static final class Refused extends Exception {
        Refused(String reason) {
            super(reason);
        }
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        RawHeader outer;
        EncryptionDetector.Kind kind;
        try (InputStream in = item.openBody()) {
            outer = item.header();
            kind = EncryptionDetector.claimed(outer, in); // what the client says it encrypted; a failure to open it is refused
        } catch (RawHeader.TooLargeException e) {
            return Routing.all(item, Outcome.reject(Outcome.HEADER_TOO_LARGE));
        }
        if (kind == EncryptionDetector.Kind.NONE || kind == EncryptionDetector.Kind.PGP_MIME_MANGLED) {
            return Routing.proceed(item);
        }
        String sender = item.senderIdentity();
        if (sender == null) {
            log.info("{}: encrypted ({}) but no sender identity; relayed as it is", item.queueId(), label(kind));
            return Routing.proceed(item);
        }
        Path plain = spool.workFile(item.queueId(), ".dec");
        Path result = spool.workFile(item.queueId(), ".out");
        boolean ok = false;
        try {
            Optional<MessageOpener.Opened> opened = open(item, outer, kind, sender, plain);
            if (opened.isEmpty()) {
                log.info("{}: encrypted ({}) to keys the gateway does not hold; relayed as it is (end to end)", item.queueId(), label(kind));
                return Routing.proceed(item);
            }
            MessageOpener.Opened o = opened.get();
            checkSealed(plain, kind);
            byte[] signed = o.smime() ? rule.check(SignedInside.verify(plain, keys.registeredCerts(sender))) : rule.check(o.pgpSignature());
            checkFrom(sender, assemble(outer, plain, kind, result));
            // Last, so a message refused for another reason can be mended and sent again: now it is relayed once.
            if (!replay.firstSeen(signed, item.queueId())) {
                throw new Refused("signature seen before (replay)");
            }
            log.info("{}: decrypted ({}, {} {}{}) for {}", item.queueId(), label(kind), o.relayKey() ? "relay key" : "sender key",
                    o.keyId(), o.signer() != null ? ", signed by " + o.signer() : "", item.recipients());
            ok = true;
            return Routing.proceed(item.withContent(result));
        } catch (Refused | MessageOpener.Refused | SignedInside.Invalid | RelaySignatureRule.Broken r) {
            log.warn("{}: from=<{}>: rejected: {}", item.queueId(), sender, r.getMessage());
            return Routing.all(item, Outcome.reject(FAILED));
        } catch (CappedOutputStream.TooLarge big) {
            log.warn("{}: from=<{}>: rejected: decrypted message larger than {} bytes (compression bomb?)", item.queueId(), sender, maxPlaintext);
            return Routing.all(item, Outcome.reject(SmtpReply.of(552, "5.3.4", "Error: the decrypted message exceeds " + maxPlaintext + " bytes")));
        } finally {
            Files.deleteIfExists(plain);
            if (!ok) {
                Files.deleteIfExists(result);
            }
        }
    }

    // With the sender's keys or the relay key of the sender's domain; a key that exists but cannot be used now defers.
    private Optional<MessageOpener.Opened> open(MailItem item, RawHeader outer, EncryptionDetector.Kind kind, String sender, Path plain)
            throws Exception {
        String relay = keys.relayAddress(sender.substring(sender.lastIndexOf('@') + 1));
        try (InputStream in = item.openBody();
             CappedOutputStream o = new CappedOutputStream(new BufferedOutputStream(Files.newOutputStream(plain), 65536), maxPlaintext)) {
            return MessageOpener.open(item.content(), item::openBody, outer, in, kind, sender, relay, keys, o);
        } catch (PgpDecryptor.KeyUnavailableException e) {
            throw new java.io.IOException("OpenPGP key unavailable, deferred: " + e.getMessage()); // the runner answers 4xx
        }
    }

    // A copy mailseal encrypted for storage (its valid seal inside) is never decrypted for relaying.
    private void checkSealed(Path plain, EncryptionDetector.Kind kind) throws Exception {
        if (kind == EncryptionDetector.Kind.PGP_INLINE || seal == null) {
            return; // mailseal never writes inline PGP; an inline body has no header to carry a seal
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            RawHeader inner = RawHeader.read(in, MailItem.MAX_HEADER);
            if (inner.fields().stream().noneMatch(f -> f.is(StorageSeal.FIELD))) {
                return; // the common case: no marker, nothing more to read
            }
            byte[] digest = StorageSeal.digest(inner, in);
            for (RawHeader.Field f : inner.fields()) {
                if (f.is(StorageSeal.FIELD) && seal.check(f.value(), digest) != StorageSeal.Check.NONE) {
                    throw new Refused("a copy this gateway encrypted for storage (sealed), resent for relaying");
                }
            }
        } catch (RawHeader.TooLargeException e) {
            throw new Refused("decrypted header too large");
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
                HeaderRewriter.write(o, outer.fields(), true, in);
                return outer.value("From");
            }
            RawHeader inner;
            try {
                inner = RawHeader.read(in, MailItem.MAX_HEADER);
            } catch (RawHeader.TooLargeException e) {
                throw new Refused("decrypted header too large");
            }
            o.write(HeaderProtection.restore(outer, inner));
            o.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            in.transferTo(o);
            return HeaderProtection.isProtected(inner) ? inner.value("From") : outer.value("From");
        }
    }

    // The inner From must be the sender or an address it owns (users addresses).
    private void checkFrom(String sender, String fromHeader) throws Exception {
        if (fromHeader == null) {
            throw new Refused("decrypted message has no From");
        }
        try {
            jakarta.mail.internet.InternetAddress[] as = jakarta.mail.internet.InternetAddress.parseHeader(fromHeader, true);
            if (as.length != 1 || as[0].getAddress() == null || !addresses.owns(sender, as[0].getAddress())) {
                throw new Refused("inner From " + fromHeader + " is not the sender <" + sender + ">");
            }
        } catch (jakarta.mail.internet.AddressException e) {
            throw new Refused("inner From unparseable");
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
}
