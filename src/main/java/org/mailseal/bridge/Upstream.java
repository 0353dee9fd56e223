package org.mailseal.bridge;

import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FLAGS;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.IMAPResponse;
import org.eclipse.angus.mail.imap.protocol.INTERNALDATE;
import org.eclipse.angus.mail.imap.protocol.MODSEQ;
import org.eclipse.angus.mail.imap.protocol.UID;
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

    /** One message as listed: UID, flags, internal date, and its MODSEQ (RFC 7162; 0 when the provider keeps none). */
    record Item(long uid, Flags flags, Instant internalDate, long modseq) {
    }

    /** What the provider answered a command it took but refused (NO or BAD), to pass on to the client. */
    record Refusal(boolean bad, String text) {
    }

    /** The outcome of a conditional STORE (RFC 7162 §3.1.3): the UIDs the provider left alone as changed since. */
    record Stored(java.util.Optional<Refusal> refused, List<Long> modified) {
    }

    /** The provider is not reachable or refused the login (the client gets NO [UNAVAILABLE]). */
    static final class Unavailable extends IOException {
        Unavailable(String m, Throwable cause) {
            super(m, cause);
        }
    }

    private final IMAPStore store;
    private final Runnable release;
    private final boolean condstore;
    private IMAPFolder open;

    /** A session on {@code store} (shared with the user's other client connections, see {@link ProviderStores}). */
    Upstream(IMAPStore store, Runnable release) throws MessagingException {
        this.store = store;
        this.release = release;
        this.condstore = store.hasCapability("CONDSTORE");
    }

    /** Whether the provider keeps modification sequences (RFC 7162 CONDSTORE): then the bridge offers CONDSTORE and QRESYNC. */
    boolean condstore() {
        return condstore;
    }

    /** A store logged in at the provider as {@code login}. */
    static IMAPStore login(Bridge cfg, String login, char[] password) throws Unavailable {
        try {
            return (IMAPStore) org.mailseal.imap.Provider.connect(org.mailseal.imap.Provider.session(cfg.upstream(), cfg.upstreamRequireTls()),
                    cfg.upstream(), login, password);
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
        int mode = readOnly ? Folder.READ_ONLY : Folder.READ_WRITE;
        if (condstore) {
            f.open(mode, org.eclipse.angus.mail.imap.ResyncData.CONDSTORE); // SELECT ... (CONDSTORE), RFC 7162 §3.1.8
        } else {
            f.open(mode);
        }
        open = f;
        return f;
    }

    /** The open mailbox's HIGHESTMODSEQ as the provider said it (0 without CONDSTORE). */
    long highestModSeq() throws MessagingException {
        return condstore ? open.getHighestModSeq() : 0;
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

    /** Every message of the open mailbox: UID, flags, internal date, MODSEQ (one FETCH). */
    List<Item> items() throws MessagingException {
        return open.getMessageCount() == 0 ? List.of() : items("1:*", 0);
    }

    /**
     * The messages of {@code uidSet} in the open mailbox; with {@code changedSince} > 0 only those whose MODSEQ
     * is above it (RFC 7162 §3.1.4, CHANGEDSINCE). One raw UID FETCH; the provider's other news in its answer
     * (EXISTS, EXPUNGE) go to Angus, which keeps its message numbers by them.
     */
    List<Item> items(String uidSet, long changedSince) throws MessagingException {
        String cmd = "UID FETCH " + uidSet + " (UID FLAGS INTERNALDATE" + (condstore ? " MODSEQ)" : ")")
                + (condstore && changedSince > 0 ? " (CHANGEDSINCE " + changedSince + ")" : "");
        Response[] rs = raw(cmd);
        List<Item> out = new ArrayList<>(rs.length);
        for (Response r : rs) {
            if (r instanceof FetchResponse fr) {
                UID uid = fr.getItem(UID.class);
                FLAGS flags = fr.getItem(FLAGS.class);
                if (uid == null || flags == null) {
                    continue; // the provider's unsolicited news of a flag change: the answer itself has the message too
                }
                INTERNALDATE d = fr.getItem(INTERNALDATE.class);
                MODSEQ m = fr.getItem(MODSEQ.class);
                out.add(new Item(uid.uid, new Flags(flags), d == null || d.getDate() == null ? Instant.EPOCH : d.getDate().toInstant(),
                        m == null ? 0 : m.modseq));
            }
        }
        return out;
    }

    /** Every UID of the open mailbox, ascending (UID SEARCH ALL). */
    long[] uids() throws MessagingException {
        java.util.TreeSet<Long> out = new java.util.TreeSet<>();
        for (Response r : raw("UID SEARCH ALL")) {
            if (r instanceof IMAPResponse ir && ir.keyEquals("SEARCH")) {
                long n;
                while ((n = ir.readLong()) != -1) {
                    out.add(n);
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * STORE on UIDs, passed to the provider as it is (so FLAGS replaces, and UNCHANGEDSINCE is the provider's
     * own check, with no race): {@code op} is +FLAGS, -FLAGS or FLAGS (.SILENT), {@code unchangedSince} &lt; 0
     * for none.
     */
    Stored store(String uidSet, long unchangedSince, String op, String flagList) throws MessagingException {
        String cmd = "UID STORE " + uidSet + (unchangedSince >= 0 ? " (UNCHANGEDSINCE " + unchangedSince + ")" : "") + " " + op + " " + flagList;
        Response[] rs = (Response[]) open.doCommand(p -> {
            Response[] r = p.command(cmd, null);
            p.notifyResponseHandlers(java.util.Arrays.copyOf(r, r.length - 1)); // flag news for Angus (no listener is waiting now)
            return r;
        });
        Response last = rs[rs.length - 1];
        String text = last.toString();
        List<Long> modified = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[MODIFIED ([0-9:,]+)\\]").matcher(text);
        if (m.find()) {
            for (String part : m.group(1).split(",")) {
                String[] ab = part.split(":");
                long a = Long.parseLong(ab[0]);
                long b = ab.length > 1 ? Long.parseLong(ab[1]) : a;
                for (long u = Math.min(a, b); u <= Math.max(a, b); u++) {
                    modified.add(u);
                }
            }
        }
        if (last.isOK()) {
            return new Stored(java.util.Optional.empty(), modified);
        }
        if (last.isBYE()) {
            throw new MessagingException("the mailbox server closed the connection: " + text);
        }
        return new Stored(java.util.Optional.of(new Refusal(last.isBAD(), last.getRest())), modified);
    }

    /** A command on the open mailbox; news in the answer other than FETCH go to Angus; NO, BAD or BYE throw. */
    private Response[] raw(String cmd) throws MessagingException {
        return (Response[]) open.doCommand(p -> {
            Response[] r = p.command(cmd, null);
            List<Response> news = new ArrayList<>();
            for (int i = 0; i < r.length - 1; i++) {
                if (!(r[i] instanceof FetchResponse)) {
                    news.add(r[i]);
                }
            }
            p.notifyResponseHandlers(news.toArray(new Response[0]));
            p.handleResult(r[r.length - 1]);
            return r;
        });
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

    /** Closes the open mailbox; the store goes when the user's last client connection is done with it. */
    @Override
    public void close() {
        closeOpen();
        release.run();
    }
}
