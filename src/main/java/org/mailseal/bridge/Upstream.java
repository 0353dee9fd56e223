package org.mailseal.bridge;

import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.UIDFolder;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.mailseal.config.Bridge;

/**
 * One IMAP session with the cloud mailbox (Angus Mail), with the user's stored login. Mailboxes, UIDs,
 * UIDVALIDITY and flags are the provider's and pass through; message bytes are fetched raw
 * ({@code BODY.PEEK[]}) and appended raw, so nothing is re-encoded on the way.
 */
final class Upstream implements AutoCloseable {

    /** A mailbox: its name, hierarchy delimiter and attributes (with RFC 6154 special-use ones). */
    record Box(String name, char delimiter, List<String> attributes) {
    }

    /** One message as listed: UID, flags, internal date. */
    record Item(long uid, Flags flags, Instant internalDate) {
    }

    /** The provider is not reachable or refused the login (the client gets NO [UNAVAILABLE]). */
    static final class Unavailable extends IOException {
        Unavailable(String m, Throwable cause) {
            super(m, cause);
        }
    }

    private final IMAPStore store;
    private IMAPFolder open;

    private Upstream(IMAPStore store) {
        this.store = store;
    }

    static Upstream connect(Bridge cfg, String login, char[] password) throws Unavailable {
        try {
            return new Upstream((IMAPStore) org.mailseal.imap.Provider.connect(org.mailseal.imap.Provider.session(cfg.upstream(), cfg.upstreamRequireTls()),
                    cfg.upstream(), login, password));
        } catch (MessagingException e) {
            throw new Unavailable("the mailbox server " + cfg.upstream() + " refused or is unreachable: " + e.getMessage(), e);
        }
    }

    List<Box> list(String pattern) throws MessagingException {
        List<Box> out = new ArrayList<>();
        for (Folder f : store.getDefaultFolder().list(pattern)) {
            IMAPFolder i = (IMAPFolder) f;
            out.add(new Box(i.getFullName(), i.getSeparator(), List.of(i.getAttributes())));
        }
        return out;
    }

    IMAPFolder folder(String name) throws MessagingException {
        return (IMAPFolder) (name.equalsIgnoreCase("INBOX") ? store.getFolder("INBOX") : store.getFolder(name));
    }

    /** Opens {@code name} (closing the one open before); the mailbox's state. */
    IMAPFolder open(String name, boolean readOnly) throws MessagingException {
        closeOpen();
        IMAPFolder f = folder(name);
        f.open(readOnly ? Folder.READ_ONLY : Folder.READ_WRITE);
        open = f;
        return f;
    }

    void closeOpen() {
        if (open != null && open.isOpen()) {
            try {
                open.close(false);
            } catch (MessagingException ignored) {
                // closing a mailbox that the server dropped
            }
        }
        open = null;
    }

    IMAPFolder selected() {
        return open;
    }

    /** Every message of the open mailbox: UID, flags, internal date (one FETCH). */
    List<Item> items() throws MessagingException {
        Message[] ms = open.getMessages();
        FetchProfile fp = new FetchProfile();
        fp.add(UIDFolder.FetchProfileItem.UID);
        fp.add(FetchProfile.Item.FLAGS);
        fp.add(IMAPFolder.FetchProfileItem.INTERNALDATE);
        open.fetch(ms, fp);
        List<Item> out = new ArrayList<>(ms.length);
        for (Message m : ms) {
            if (m.isExpunged()) {
                continue;
            }
            Date d = m.getReceivedDate();
            out.add(new Item(open.getUID(m), m.getFlags(), d == null ? Instant.EPOCH : d.toInstant()));
        }
        return out;
    }

    /** The raw bytes of message {@code uid} of the open mailbox, or null when it is gone. */
    byte[] raw(long uid) throws MessagingException {
        IMAPMessage m = (IMAPMessage) open.getMessageByUID(uid);
        if (m == null) {
            return null;
        }
        int n = m.getMessageNumber();
        BODY b = (BODY) open.doCommand(p -> p.peekBody(n, ""));
        return b == null ? null : b.getByteArray().getNewBytes();
    }

    Message[] byUid(long[] uids) throws MessagingException {
        return java.util.Arrays.stream(open.getMessagesByUID(uids)).filter(java.util.Objects::nonNull).toArray(Message[]::new);
    }

    /** Appends {@code bytes} as they are to {@code mailbox}; the new UID when the server says (UIDPLUS), else -1. */
    long append(String mailbox, byte[] bytes, Flags flags, Date date) throws MessagingException {
        IMAPFolder f = folder(mailbox);
        org.eclipse.angus.mail.iap.Literal lit = new org.eclipse.angus.mail.iap.Literal() {
            @Override
            public int size() {
                return bytes.length;
            }

            @Override
            public void writeTo(OutputStream os) throws IOException {
                os.write(bytes);
            }
        };
        org.eclipse.angus.mail.imap.AppendUID u = (org.eclipse.angus.mail.imap.AppendUID) f.doCommand(p -> p.appenduid(f.getFullName(), flags, date, lit));
        return u == null ? -1 : u.uid;
    }

    /** Whether the provider offers IDLE (RFC 2177). */
    boolean supportsIdle() {
        try {
            return store.hasCapability("IDLE");
        } catch (MessagingException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closeOpen();
        try {
            store.close();
        } catch (MessagingException ignored) {
            // already gone
        }
    }
}
