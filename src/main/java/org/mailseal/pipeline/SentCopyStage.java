package org.mailseal.pipeline;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyBook;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.Encryption;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the sender's Sent copy of an outbound message: the message as it goes out (decrypted,
 * signed), encrypted to the sender's own OpenPGP key (else S/MIME certificate), as a work file that
 * {@link RelayStage} moves into the durable IMAP queue once the next hop accepted the message. Only for
 * senders with an IMAP login; without a key of the sender's no copy is made (never a plaintext copy).
 */
public final class SentCopyStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("sentcopy");

    private final Spool spool;
    private final Logins logins;
    private final KeyBook book;

    private final org.mailseal.keys.StorageSeal seal;

    /** Whether a sender gave IMAP credentials for Sent copies (users imap-login). */
    public interface Logins {
        boolean has(String address) throws Exception;
    }

    public SentCopyStage(Spool spool, Logins logins, KeyBook book, org.mailseal.keys.StorageSeal seal) {
        this.seal = seal;
        this.spool = spool;
        this.logins = logins;
        this.book = book;
    }

    @Override
    public String name() {
        return "sentcopy";
    }

    /**
     * Encryption to {@code owner}'s own key (OpenPGP first, else S/MIME), for a copy only its owner reads:
     * a Sent copy, or what the IMAP bridge stores for a client. {@code label} names it in the trace inside.
     */
    public static Optional<Treatment> toOwnKey(KeyBook book, String owner, String label) throws Exception {
        Recipient self = new Recipient(org.mailseal.mail.RcptTo.of(org.mailseal.mail.Address.parse(owner)), Direction.OUTBOUND, -1);
        Optional<PgpKeys.ValidCert> pgp = book.pgp(owner);
        if (pgp.isPresent()) {
            return Optional.of(new Encryption.Pgp(List.of(new Encryption.Keyed(self, pgp.get(), label)), org.mailseal.mime.OuterHeader.minimal("[...]")));
        }
        Optional<CertDirectory.ValidCert> c = book.smime(owner);
        return c.map(v -> new Encryption.Smime(List.of(new Encryption.Certified(self, v, label)), org.mailseal.mime.OuterHeader.minimal("[...]"), false));
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        String sender = item.senderIdentity();
        if (sender == null || !logins.has(sender)) {
            return Routing.proceed(item);
        }
        Optional<Treatment> own = toOwnKey(book, sender, "Sent copy");
        if (own.isEmpty()) {
            log.warn("{}: no Sent copy for <{}>: no OpenPGP key or S/MIME certificate of the sender", item.queueId(), sender);
            return Routing.proceed(item);
        }
        Treatment t = own.get();
        Path out = spool.workFile(item.queueId(), ".sent");
        boolean ok = false;
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 65536)) {
            RawHeader h = item.header();
            EncryptStage.encrypt(t, h, item::openBody, o, seal, null, item.queueId()); // sealed: a stored Sent copy is never decrypted for relaying
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(out);
            }
        }
        return Routing.proceed(item.withSentCopy(out));
    }
}
