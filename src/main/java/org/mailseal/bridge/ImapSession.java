package org.mailseal.bridge;

import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.mailseal.logging.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection (IMAP4rev1, RFC 3501): not authenticated → authenticated (LOGIN or AUTHENTICATE
 * PLAIN with the mailseal password, after STARTTLS) → a mailbox selected. The mailboxes, UIDs, UIDVALIDITY
 * and flags are the cloud mailbox's and pass through; the content items (RFC822.SIZE, ENVELOPE,
 * BODYSTRUCTURE, BODY[...]) are computed from the plaintext the {@link Unsealer} gives, kept in the
 * encrypted {@link Cache}. What a client APPENDs is encrypted to the user's key first, never stored plain.
 */
final class ImapSession implements Runnable {

    private static final Logger log = LoggerFactory.getLogger("bridge");
    static final String CAPS = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS MOVE UNSELECT SPECIAL-USE";
    private static final DateTimeFormatter INTERNALDATE = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private enum State { NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT }

    private Socket socket;
    private final SSLContext tls;
    private final Account account;
    private final boolean allowPlainLogin;
    private final int maxLiteral;
    private final long idlePoll;
    private ImapReader reader;
    private OutputStream out;
    private State state = State.NOT_AUTHENTICATED;
    private String user;
    private Account.Login login;
    private Upstream upstream;
    /** The provider's connection failed: the next command connects again first (and finds the mailbox again). */
    private boolean upstreamBroken;

    // the selected mailbox
    private String mailbox;
    private boolean readOnly;
    private long uidValidity;
    private List<Long> uids = new ArrayList<>();
    private Map<Long, Flags> flags = new HashMap<>();
    private Map<Long, Instant> dates = new HashMap<>();
    private Map<Long, Long> modseqs = new HashMap<>();
    /** The highest MODSEQ the client has been told of (RFC 7162): never goes down while the mailbox is selected. */
    private long highestModSeq;
    // RFC 7162: CONDSTORE once the client used it (ENABLE, SELECT (CONDSTORE), a MODSEQ item or modifier), QRESYNC by ENABLE
    private boolean condstoreOn;
    private boolean qresyncOn;

    ImapSession(Socket socket, SSLContext tls, Account account, boolean allowPlainLogin, int maxLiteral, long idlePollMillis) {
        this.socket = socket;
        this.tls = tls;
        this.account = account;
        this.allowPlainLogin = allowPlainLogin;
        this.maxLiteral = maxLiteral;
        this.idlePoll = idlePollMillis;
    }

    private boolean secure() {
        return socket instanceof SSLSocket;
    }

    @Override
    public void run() {
        String client = socket.getInetAddress().getHostAddress();
        try (Socket s = socket) {
            s.setSoTimeout(30 * 60 * 1000); // RFC 3501 §5.4: at least 30 minutes of inactivity
            streams();
            line("* OK [CAPABILITY " + capabilities() + "] mailseal IMAP bridge ready");
            flush();
            while (state != State.LOGOUT) {
                List<Object> cmd;
                try {
                    cmd = reader.command(() -> {
                        line("+ Ready for literal data");
                        flush();
                    });
                } catch (ImapReader.Bad bad) {
                    line("* BAD " + bad.getMessage());
                    flush();
                    continue;
                }
                if (cmd == null) {
                    break;
                }
                if (cmd.size() < 2 || !(cmd.get(0) instanceof String tag) || !(cmd.get(1) instanceof String name)) {
                    line("* BAD expected a tag and a command");
                    flush();
                    continue;
                }
                List<Object> args = cmd.subList(2, cmd.size());
                try {
                    dispatch(tag, name.toUpperCase(Locale.ROOT), args);
                } catch (IllegalArgumentException | ClassCastException | IndexOutOfBoundsException bad) {
                    line(tag + " BAD " + (bad.getMessage() == null ? "bad arguments" : bad.getMessage()));
                } catch (Upstream.Unavailable | MessagingException | IllegalStateException down) {
                    // IllegalStateException: Angus's "folder not open" once the provider dropped the connection
                    upstreamBroken = state != State.NOT_AUTHENTICATED;
                    log.warn("user=<{}>: the mailbox server: {}", user, LogSafe.text(String.valueOf(down.getMessage())));
                    line(tag + " NO [UNAVAILABLE] the mailbox server is not reachable now; try again later");
                }
                flush();
            }
        } catch (IOException e) {
            log.debug("bridge session ended: {}", e.getMessage());
        } catch (Exception e) {
            log.warn("bridge session user=<{}> client=[{}] failed: {}", user, client, LogSafe.text(String.valueOf(e.getMessage())));
        } finally {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    private void streams() throws IOException {
        reader = new ImapReader(new BufferedInputStream(socket.getInputStream(), 65536), maxLiteral);
        out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    private String capabilities() {
        if (state == State.NOT_AUTHENTICATED) {
            return CAPS + (secure() ? " AUTH=PLAIN" : tls != null ? " STARTTLS" + (allowPlainLogin ? " AUTH=PLAIN" : " LOGINDISABLED") : " AUTH=PLAIN");
        }
        // modification sequences are the provider's: offered only where it keeps them
        return CAPS + (upstream != null && upstream.condstore() ? " CONDSTORE QRESYNC" : "");
    }

    private void line(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
    }

    private void flush() throws IOException {
        out.flush();
    }

    private static String str(Object o) {
        return ImapReader.text(o);
    }

    private static String mailboxName(Object o) {
        String n = str(o);
        return n.equalsIgnoreCase("INBOX") ? "INBOX" : n;
    }

    private void dispatch(String tag, String name, List<Object> args) throws Exception {
        if (upstreamBroken && !List.of("LOGOUT", "CAPABILITY", "ID").contains(name) && !reconnect()) {
            return;
        }
        switch (name) {
            case "CAPABILITY" -> {
                line("* CAPABILITY " + capabilities());
                ok(tag, "CAPABILITY done");
            }
            case "NOOP", "CHECK" -> {
                if (state == State.SELECTED) {
                    refresh();
                }
                ok(tag, name + " done");
            }
            case "LOGOUT" -> {
                line("* BYE mailseal IMAP bridge logging out");
                ok(tag, "LOGOUT done");
                state = State.LOGOUT;
            }
            case "ID" -> {
                line("* ID (\"name\" \"mailseal\" \"vendor\" \"mailseal\")");
                ok(tag, "ID done");
            }
            case "STARTTLS" -> startTls(tag);
            case "LOGIN" -> login(tag, str(args.get(0)), str(args.get(1)));
            case "AUTHENTICATE" -> authenticate(tag, args);
            case "ENABLE" -> enable(tag, args);
            case "LIST", "LSUB" -> list(tag, name, str(args.get(0)), str(args.get(1)));
            case "STATUS" -> status(tag, mailboxName(args.get(0)), (List<?>) args.get(1));
            case "SELECT", "EXAMINE" -> select(tag, mailboxName(args.get(0)), name.equals("EXAMINE"), args.size() > 1 ? (List<?>) args.get(1) : List.of());
            case "UNSELECT", "CLOSE" -> {
                requireSelected();
                if (name.equals("CLOSE") && !readOnly) {
                    upstream.selected().expunge();
                }
                upstream.closeOpen();
                mailbox = null;
                state = State.AUTHENTICATED;
                ok(tag, name + " done");
            }
            case "EXPUNGE" -> {
                requireSelected();
                requireWritable();
                upstream.selected().expunge();
                refresh();
                ok(tag, "EXPUNGE done");
            }
            case "FETCH" -> fetch(tag, false, args);
            case "STORE" -> store(tag, false, args);
            case "SEARCH" -> search(tag, false, args);
            case "COPY", "MOVE" -> copy(tag, false, name.equals("MOVE"), args);
            case "UID" -> {
                String sub = str(args.get(0)).toUpperCase(Locale.ROOT);
                List<Object> rest = args.subList(1, args.size());
                switch (sub) {
                    case "FETCH" -> fetch(tag, true, rest);
                    case "STORE" -> store(tag, true, rest);
                    case "SEARCH" -> search(tag, true, rest);
                    case "COPY", "MOVE" -> copy(tag, true, sub.equals("MOVE"), rest);
                    case "EXPUNGE" -> uidExpunge(tag, str(rest.get(0)));
                    default -> line(tag + " BAD unknown UID command");
                }
            }
            case "APPEND" -> append(tag, args);
            case "IDLE" -> idle(tag);
            case "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE" -> mailboxOp(tag, name, args);
            default -> line(tag + " BAD unknown command " + LogSafe.text(name));
        }
    }

    /**
     * After the provider's connection failed: a new one, and the selected mailbox opened again. Under the same
     * UIDVALIDITY the client's view is brought up to date (what went, came or changed meanwhile) and it goes
     * on with its UIDs and cache: nothing is downloaded again. Under another (the mailbox was made anew) its
     * UIDs mean nothing any more: BYE, and it selects again. False when the session ends.
     */
    private boolean reconnect() throws Exception {
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        upstream = account.connect(login); // Unavailable: the command gets NO [UNAVAILABLE], the next one tries again
        if (state == State.SELECTED) {
            IMAPFolder f;
            try {
                f = upstream.open(mailbox, readOnly);
            } catch (jakarta.mail.FolderNotFoundException gone) {
                f = null;
            }
            if (f == null || f.getUIDValidity() != uidValidity) {
                log.info("bridge user=<{}>: {} changed at the provider while it was away (UIDVALIDITY); the client selects again", user,
                        LogSafe.text(mailbox));
                line("* BYE the mailbox was made anew at the mailbox server; connect and select it again");
                state = State.LOGOUT;
                return false;
            }
            upstreamBroken = false;
            refresh();
        }
        upstreamBroken = false;
        log.info("bridge user=<{}>: connected to the mailbox server again", user);
        return true;
    }

    private void ok(String tag, String text) throws IOException {
        line(tag + " OK " + text);
    }

    private void requireAuth() {
        if (state == State.NOT_AUTHENTICATED) {
            throw new IllegalArgumentException("log in first");
        }
    }

    private void requireSelected() {
        if (state != State.SELECTED) {
            throw new IllegalArgumentException("select a mailbox first");
        }
    }

    private void requireWritable() {
        if (readOnly) {
            throw new IllegalArgumentException("the mailbox is read-only (EXAMINE)");
        }
    }

    // ---- TLS and login ----

    private void startTls(String tag) throws IOException {
        if (tls == null || secure()) {
            line(tag + " BAD STARTTLS not available");
            return;
        }
        ok(tag, "Begin TLS negotiation now");
        flush();
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        s.setUseClientMode(false);
        s.startHandshake();
        socket = s;
        streams(); // RFC 3501 §6.2.1: nothing read before the handshake is kept
    }

    private void login(String tag, String name, String password) throws Exception {
        if (state != State.NOT_AUTHENTICATED) {
            line(tag + " BAD already logged in");
            return;
        }
        if (!secure() && tls != null && !allowPlainLogin) {
            line(tag + " NO [PRIVACYREQUIRED] use STARTTLS first");
            return;
        }
        String u = org.mailseal.auth.UserStore.normalise(name.strip());
        if (!account.verify(u, password)) {
            log.info("bridge login failed: user=<{}> client=[{}]", LogSafe.text(u), socket.getInetAddress().getHostAddress());
            Thread.sleep(1000);
            line(tag + " NO [AUTHENTICATIONFAILED] wrong user name or password");
            return;
        }
        Optional<Account.Login> login = account.upstreamLogin(u);
        if (login.isEmpty()) {
            line(tag + " NO [CONTACTADMIN] no login to the mailbox server is stored for you (mailseal users imap-login)");
            return;
        }
        upstream = account.connect(login.get());
        this.login = login.get();
        user = u;
        state = State.AUTHENTICATED;
        log.info("bridge login user=<{}> client=[{}]", u, socket.getInetAddress().getHostAddress());
        ok(tag, "[CAPABILITY " + capabilities() + "] logged in");
    }

    private void authenticate(String tag, List<Object> args) throws Exception {
        if (!str(args.get(0)).equalsIgnoreCase("PLAIN")) {
            line(tag + " NO [CANNOT] only PLAIN");
            return;
        }
        String resp;
        if (args.size() > 1) {
            resp = str(args.get(1)); // SASL-IR (RFC 4959)
        } else {
            line("+ ");
            flush();
            resp = reader.line();
        }
        if (resp == null || resp.equals("*")) {
            line(tag + " BAD authentication cancelled");
            return;
        }
        String[] parts;
        try {
            parts = new String(Base64.getDecoder().decode(resp.strip()), StandardCharsets.UTF_8).split("\0", -1);
        } catch (IllegalArgumentException e) {
            line(tag + " BAD not base64");
            return;
        }
        if (parts.length != 3) {
            line(tag + " BAD malformed PLAIN response");
            return;
        }
        login(tag, parts[1], parts[2]);
    }

    // ---- mailboxes ----

    private void list(String tag, String cmd, String ref, String pattern) throws Exception {
        requireAuth();
        if (pattern.isEmpty()) {
            line("* " + cmd + " (\\Noselect) \"/\" \"\"");
            ok(tag, cmd + " done");
            return;
        }
        for (Upstream.Box b : upstream.list(ref + pattern)) {
            line("* " + cmd + " (" + String.join(" ", b.attributes()) + ") " + MimeTree.nstring(String.valueOf(b.delimiter())) + " "
                    + MimeTree.nstring(b.name()));
        }
        ok(tag, cmd + " done");
    }

    private void status(String tag, String name, List<?> items) throws Exception {
        requireAuth();
        IMAPFolder f = upstream.folder(name);
        String[] want = items.stream().map(ImapSession::str).map(s -> s.toUpperCase(Locale.ROOT)).toArray(String[]::new);
        org.eclipse.angus.mail.imap.protocol.Status st = (org.eclipse.angus.mail.imap.protocol.Status) f.doCommand(p -> p.status(f.getFullName(), want));
        StringBuilder b = new StringBuilder();
        for (String w : want) {
            long v = switch (w) {
                case "MESSAGES" -> st.total;
                case "RECENT" -> st.recent;
                case "UIDNEXT" -> st.uidnext;
                case "UIDVALIDITY" -> st.uidvalidity;
                case "UNSEEN" -> st.unseen;
                case "HIGHESTMODSEQ" -> {
                    enableCondstore(); // RFC 7162 §3.1.2: the provider's value, passed through
                    yield st.highestmodseq;
                }
                default -> throw new IllegalArgumentException("unknown STATUS item " + w);
            };
            b.append(b.length() > 0 ? " " : "").append(w).append(' ').append(v);
        }
        line("* STATUS " + MimeTree.nstring(name) + " (" + b + ")");
        ok(tag, "STATUS done");
    }

    /** ENABLE (RFC 5161) of CONDSTORE and QRESYNC (RFC 7162 §3.2.3: QRESYNC implies CONDSTORE). */
    private void enable(String tag, List<Object> args) throws Exception {
        requireAuth();
        List<String> enabled = new ArrayList<>();
        for (Object a : args) {
            String ext = str(a).toUpperCase(Locale.ROOT);
            if ((ext.equals("CONDSTORE") || ext.equals("QRESYNC")) && upstream.condstore()) {
                enableCondstore();
                qresyncOn |= ext.equals("QRESYNC");
                enabled.add(ext);
            }
        }
        line("* ENABLED" + (enabled.isEmpty() ? "" : " " + String.join(" ", enabled)));
        ok(tag, "ENABLE done");
    }

    /**
     * CONDSTORE on, by a command that uses it (RFC 7162 §3.1): the first time while a mailbox is selected the
     * client learns its HIGHESTMODSEQ.
     */
    private void enableCondstore() throws IOException {
        if (upstream == null || !upstream.condstore()) {
            throw new IllegalArgumentException("the mailbox server keeps no modification sequences (no CONDSTORE)");
        }
        if (!condstoreOn && state == State.SELECTED) {
            line("* OK [HIGHESTMODSEQ " + highestModSeq + "] highest");
        }
        condstoreOn = true;
    }

    private void select(String tag, String name, boolean examine, List<?> params) throws Exception {
        requireAuth();
        // RFC 7162 §3.1.8 and §3.2.5: (CONDSTORE), or (QRESYNC (uidvalidity modseq [known-uids [seq-match]]))
        long qrValidity = -1;
        long qrModSeq = 0;
        String qrKnown = null;
        for (int i = 0; i < params.size(); i++) {
            String p = str(params.get(i)).toUpperCase(Locale.ROOT);
            if (p.equals("CONDSTORE")) {
                if (!upstream.condstore()) {
                    throw new IllegalArgumentException("the mailbox server keeps no modification sequences (no CONDSTORE)");
                }
                condstoreOn = true; // the HIGHESTMODSEQ below is the new mailbox's, not the one selected before
            } else if (p.equals("QRESYNC")) {
                if (!qresyncOn) {
                    throw new IllegalArgumentException("QRESYNC needs ENABLE QRESYNC first");
                }
                List<?> q = (List<?>) params.get(++i);
                qrValidity = Long.parseLong(str(q.get(0)));
                qrModSeq = Long.parseLong(str(q.get(1)));
                if (q.size() > 2 && !(q.get(2) instanceof List)) {
                    qrKnown = str(q.get(2)); // a seq-match list that may follow only speeds up a server that counts expunges
                }
            } else {
                throw new IllegalArgumentException("unknown SELECT parameter " + LogSafe.text(p));
            }
        }
        if (state == State.SELECTED && qresyncOn) {
            line("* OK [CLOSED] the mailbox before is closed"); // RFC 7162 §3.2.11
        }
        IMAPFolder f;
        try {
            f = upstream.open(name, examine);
        } catch (jakarta.mail.FolderNotFoundException e) {
            mailbox = null;
            state = State.AUTHENTICATED;
            line(tag + " NO [NONEXISTENT] no such mailbox");
            return;
        }
        mailbox = f.getFullName();
        readOnly = examine || f.getMode() == jakarta.mail.Folder.READ_ONLY;
        uidValidity = f.getUIDValidity();
        load(upstream.items());
        highestModSeq = Math.max(upstream.highestModSeq(), modseqs.values().stream().mapToLong(Long::longValue).max().orElse(0));
        state = State.SELECTED;
        long uidNext = f.getUIDNext();
        line("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
        line("* " + uids.size() + " EXISTS");
        line("* 0 RECENT");
        line("* OK [UIDVALIDITY " + uidValidity + "] UIDs valid");
        line("* OK [UIDNEXT " + uidNext + "] predicted next UID");
        line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags permitted");
        if (condstoreOn) {
            line("* OK [HIGHESTMODSEQ " + highestModSeq + "] highest");
        }
        if (qrValidity == uidValidity) {
            // RFC 7162 §3.2.5.1: what went since (the provider's expunge history is not at hand, so every known
            // UID that is not there now: a superset the RFC allows), then what changed since
            long top = Math.max(uidNext - 1, uids.isEmpty() ? 0 : uids.get(uids.size() - 1));
            String gone = (qrKnown == null ? SequenceSet.parse("1:*", Math.max(top, 1)) : SequenceSet.parse(qrKnown, Math.max(top, 1))).lacking(uids, top);
            if (!gone.isEmpty()) {
                line("* VANISHED (EARLIER) " + gone);
            }
            for (int i = 0; i < uids.size(); i++) {
                long uid = uids.get(i);
                if (modseqs.getOrDefault(uid, 0L) > qrModSeq) {
                    line("* " + (i + 1) + " FETCH (UID " + uid + " FLAGS " + flagList(flags.get(uid)) + " MODSEQ (" + modseqs.get(uid) + "))");
                }
            }
        }
        ok(tag, (readOnly ? "[READ-ONLY]" : "[READ-WRITE]") + " " + (examine ? "EXAMINE" : "SELECT") + " done");
    }

    private void load(List<Upstream.Item> items) {
        uids = new ArrayList<>();
        flags = new HashMap<>();
        dates = new HashMap<>();
        modseqs = new HashMap<>();
        highestModSeq = 0;
        for (Upstream.Item i : items) {
            uids.add(i.uid());
            note(i);
        }
        uids.sort(null);
    }

    private void note(Upstream.Item i) {
        flags.put(i.uid(), i.flags());
        dates.put(i.uid(), i.internalDate());
        modseqs.put(i.uid(), i.modseq());
        highestModSeq = Math.max(highestModSeq, i.modseq());
    }

    /**
     * Brings the session's view up to the mailbox's: EXPUNGE (VANISHED under QRESYNC) for what went, FETCH
     * FLAGS for what changed, EXISTS for what came. Where the provider keeps MODSEQs only the UID list and the
     * messages changed since the last look are fetched (CHANGEDSINCE), not every message's flags.
     */
    private void refresh() throws Exception {
        IMAPFolder f = upstream.selected();
        if (f == null || !f.isOpen()) {
            throw new Upstream.Unavailable("the mailbox was closed by the server", null);
        }
        f.getMessageCount(); // a NOOP upstream: the server's news arrive
        java.util.Set<Long> present = new java.util.HashSet<>();
        List<Upstream.Item> changed;
        if (upstream.condstore() && highestModSeq > 0) {
            changed = new ArrayList<>(upstream.items("1:*", highestModSeq));
            for (long u : upstream.uids()) {
                present.add(u);
            }
            java.util.Set<Long> fetched = new java.util.HashSet<>();
            changed.forEach(i -> fetched.add(i.uid()));
            present.addAll(fetched);
            // new to us (the view's UIDs are the keys of flags) without a MODSEQ above ours, as after a provider's
            // restore: asked for directly. Hash lookups: this runs at every NOOP and IDLE wake-up.
            List<Long> news = present.stream().filter(u -> !flags.containsKey(u) && !fetched.contains(u)).sorted().toList();
            if (!news.isEmpty()) {
                changed.addAll(upstream.items(SequenceSet.format(news), 0));
            }
        } else {
            changed = upstream.items();
            changed.forEach(i -> present.add(i.uid()));
        }
        List<Long> gone = new ArrayList<>();
        for (int seq = uids.size(); seq >= 1; seq--) {
            long uid = uids.get(seq - 1);
            if (!present.contains(uid)) {
                if (!qresyncOn) {
                    line("* " + seq + " EXPUNGE");
                }
                gone.add(0, uid);
                uids.remove(seq - 1);
                flags.remove(uid);
                dates.remove(uid);
                modseqs.remove(uid);
            }
        }
        if (!gone.isEmpty() && qresyncOn) {
            line("* VANISHED " + SequenceSet.format(gone)); // RFC 7162 §3.2.10
        }
        java.util.Set<Long> known = new java.util.HashSet<>(uids);
        for (Upstream.Item i : changed) {
            if (!present.contains(i.uid())) {
                continue;
            }
            Flags old = flags.get(i.uid());
            long oldModSeq = modseqs.getOrDefault(i.uid(), 0L);
            if (known.contains(i.uid()) && old != null && (!old.equals(i.flags()) || (condstoreOn && i.modseq() != oldModSeq))) {
                line("* " + seq(i.uid()) + " FETCH (FLAGS " + flagList(i.flags()) + " UID " + i.uid() + modseqItem(i.modseq()) + ")");
            }
            note(i);
        }
        boolean grew = false;
        for (long uid : present) {
            if (!known.contains(uid) && flags.containsKey(uid)) {
                uids.add(uid);
                known.add(uid);
                grew = true;
            }
        }
        if (grew) {
            uids.sort(null);
            line("* " + uids.size() + " EXISTS");
        }
    }

    /** " MODSEQ (n)" for a FETCH response once CONDSTORE is on (RFC 7162 §3.1.4.1), else nothing. */
    private String modseqItem(long modseq) {
        return condstoreOn ? " MODSEQ (" + modseq + ")" : "";
    }

    private void mailboxOp(String tag, String name, List<Object> args) throws Exception {
        requireAuth();
        IMAPFolder f = upstream.folder(str(args.get(0)));
        switch (name) {
            case "CREATE" -> {
                if (!f.create(jakarta.mail.Folder.HOLDS_MESSAGES)) {
                    line(tag + " NO cannot create it");
                    return;
                }
            }
            case "DELETE" -> {
                if (!f.delete(false)) {
                    line(tag + " NO cannot delete it");
                    return;
                }
            }
            case "RENAME" -> {
                if (!f.renameTo(upstream.folder(str(args.get(1))))) {
                    line(tag + " NO cannot rename it");
                    return;
                }
            }
            case "SUBSCRIBE" -> f.setSubscribed(true);
            default -> f.setSubscribed(false);
        }
        ok(tag, name + " done");
    }

    // ---- messages ----

    /** The sequence number of {@code uid} in the session's view ({@code uids} is kept sorted). */
    private int seq(long uid) {
        return java.util.Collections.binarySearch(uids, uid) + 1;
    }

    /** The UIDs a sequence set names, in mailbox order. */
    private List<Long> pick(String set, boolean byUid) {
        List<Long> out = new ArrayList<>();
        if (uids.isEmpty()) {
            return out;
        }
        SequenceSet s = SequenceSet.parse(set, byUid ? uids.get(uids.size() - 1) : uids.size());
        for (int i = 0; i < uids.size(); i++) {
            if (s.contains(byUid ? uids.get(i) : i + 1)) {
                out.add(uids.get(i));
            }
        }
        return out;
    }

    static String flagList(Flags f) {
        List<String> out = new ArrayList<>();
        for (Flags.Flag s : f.getSystemFlags()) {
            if (s == Flags.Flag.ANSWERED) {
                out.add("\\Answered");
            } else if (s == Flags.Flag.DELETED) {
                out.add("\\Deleted");
            } else if (s == Flags.Flag.DRAFT) {
                out.add("\\Draft");
            } else if (s == Flags.Flag.FLAGGED) {
                out.add("\\Flagged");
            } else if (s == Flags.Flag.SEEN) {
                out.add("\\Seen");
            } // \Recent is the bridge's own provider session's (RFC 3501 §2.3.2), not the client's: never passed on
        }
        for (String u : f.getUserFlags()) {
            out.add(u);
        }
        return "(" + String.join(" ", out) + ")";
    }

    static Flags parseFlags(List<?> list) {
        Flags f = new Flags();
        for (Object o : list) {
            String s = str(o);
            switch (s.toLowerCase(Locale.ROOT)) {
                case "\\answered" -> f.add(Flags.Flag.ANSWERED);
                case "\\deleted" -> f.add(Flags.Flag.DELETED);
                case "\\draft" -> f.add(Flags.Flag.DRAFT);
                case "\\flagged" -> f.add(Flags.Flag.FLAGGED);
                case "\\seen" -> f.add(Flags.Flag.SEEN);
                default -> {
                    if (s.startsWith("\\")) {
                        throw new IllegalArgumentException("unknown system flag " + s);
                    }
                    if (!s.matches("[^\\s(){%*\"\\\\\\]\\p{Cntrl}]+")) {
                        throw new IllegalArgumentException("a keyword is an atom (RFC 3501 §9 flag-keyword)"); // it goes upstream as it is
                    }
                    f.add(s);
                }
            }
        }
        return f;
    }

    /** The plaintext of message {@code uid}: from the cache, else fetched, opened and cached. */
    byte[] plaintext(long uid) throws Exception {
        byte[] id = Cache.id(user, mailbox, uidValidity, uid);
        Optional<byte[]> cached = account.cache().get(id);
        if (cached.isPresent()) {
            return cached.get();
        }
        byte[] raw = upstream.raw(uid);
        if (raw == null) {
            return new byte[0];
        }
        byte[] served = account.unsealer().open(user, raw);
        account.cache().put(id, served);
        return served;
    }

    /**
     * The content items of message {@code uid}: from the cache, else computed once from its plaintext
     * ({@code m} and its {@code tree} when at hand) and cached beside it.
     */
    private Derived derived(long uid, byte[] m, MimeTree.Entity tree) throws Exception {
        byte[] id = Derived.id(Cache.id(user, mailbox, uidValidity, uid));
        Optional<byte[]> cached = account.cache().get(id);
        Derived d = cached.map(Derived::decode).orElse(null);
        if (d != null) {
            return d;
        }
        byte[] plain = m != null ? m : plaintext(uid);
        d = tree != null ? Derived.of(plain, tree) : Derived.of(plain);
        if (plain.length > 0) {
            account.cache().put(id, d.encode());
        }
        return d;
    }

    private void fetch(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        List<Long> which = pick(str(args.get(0)), byUid);
        List<FetchItem> items = new ArrayList<>(FetchItem.parse(args.subList(1, 2)));
        // RFC 7162 §3.1.4 and §3.2.6: FETCH set items (CHANGEDSINCE n [VANISHED])
        long changedSince = -1;
        boolean vanished = false;
        List<?> mods = args.size() > 2 ? (List<?>) args.get(2) : List.of();
        for (int i = 0; i < mods.size(); i++) {
            switch (str(mods.get(i)).toUpperCase(Locale.ROOT)) {
                case "CHANGEDSINCE" -> changedSince = Long.parseLong(str(mods.get(++i)));
                case "VANISHED" -> vanished = true;
                default -> throw new IllegalArgumentException("unknown FETCH modifier " + LogSafe.text(str(mods.get(i))));
            }
        }
        if (vanished && (!byUid || !qresyncOn || changedSince < 0)) {
            throw new IllegalArgumentException("VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC");
        }
        if (changedSince >= 0 || items.stream().anyMatch(i -> i.kind() == FetchItem.Kind.MODSEQ)) {
            enableCondstore();
        }
        if (changedSince >= 0) {
            long since = changedSince;
            which = which.stream().filter(u -> modseqs.getOrDefault(u, 0L) > since).toList();
        }
        if (vanished) {
            long top = Math.max(upstream.selected().getUIDNext() - 1, uids.isEmpty() ? 0 : uids.get(uids.size() - 1));
            String gone = SequenceSet.parse(str(args.get(0)), Math.max(top, 1)).lacking(uids, top);
            if (!gone.isEmpty()) {
                line("* VANISHED (EARLIER) " + gone);
            }
        }
        if (condstoreOn && items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.MODSEQ)
                && (changedSince >= 0 || items.stream().anyMatch(i -> i.kind() == FetchItem.Kind.FLAGS))) {
            items.add(FetchItem.simple(FetchItem.Kind.MODSEQ));
        }
        if (byUid && items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.UID)) {
            items.add(0, FetchItem.simple(FetchItem.Kind.UID));
        }
        boolean sections = items.stream().anyMatch(i -> i.kind() == FetchItem.Kind.SECTION);
        boolean derivedItems = items.stream().anyMatch(i -> i.needsContent() && i.kind() != FetchItem.Kind.SECTION);
        boolean setsSeen = !readOnly && items.stream().anyMatch(i -> i.kind() == FetchItem.Kind.SECTION && !i.peek());
        for (long uid : which) {
            int seq = seq(uid);
            byte[] m = sections ? plaintext(uid) : null;
            MimeTree.Entity tree = sections ? MimeTree.parse(m) : null;
            Derived d = derivedItems ? derived(uid, m, tree) : null;
            if (setsSeen && !flags.get(uid).contains(Flags.Flag.SEEN)) {
                Message[] ms = upstream.byUid(new long[] {uid});
                upstream.selected().setFlags(ms, new Flags(Flags.Flag.SEEN), true);
                flags.get(uid).add(Flags.Flag.SEEN);
                if (upstream.condstore()) {
                    upstream.items(String.valueOf(uid), 0).forEach(this::note); // its new MODSEQ
                }
                if (items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.FLAGS)) {
                    items = new ArrayList<>(items);
                    items.add(FetchItem.simple(FetchItem.Kind.FLAGS));
                    if (condstoreOn && items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.MODSEQ)) {
                        items.add(FetchItem.simple(FetchItem.Kind.MODSEQ));
                    }
                }
            }
            out.write(("* " + seq + " FETCH (").getBytes(StandardCharsets.US_ASCII));
            boolean first = true;
            for (FetchItem i : items) {
                if (!first) {
                    out.write(' ');
                }
                first = false;
                writeItem(i, uid, m, tree, d);
            }
            out.write(")\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        ok(tag, (byUid ? "UID " : "") + "FETCH done");
    }

    private void writeItem(FetchItem i, long uid, byte[] m, MimeTree.Entity tree, Derived d) throws IOException {
        switch (i.kind()) {
            case UID -> text("UID " + uid);
            case FLAGS -> text("FLAGS " + flagList(flags.get(uid)));
            case MODSEQ -> text("MODSEQ (" + modseqs.getOrDefault(uid, 0L) + ")");
            case INTERNALDATE -> text("INTERNALDATE \"" + INTERNALDATE.format(dates.getOrDefault(uid, Instant.EPOCH)) + "\"");
            case RFC822_SIZE -> text("RFC822.SIZE " + d.size());
            case ENVELOPE -> text("ENVELOPE " + d.envelope());
            case BODYSTRUCTURE -> text("BODYSTRUCTURE " + d.bodyStructure());
            case BODY -> text("BODY " + d.body());
            case SECTION -> {
                byte[] data = Sections.slice(m, tree, i.section());
                int from = 0;
                int len = data.length;
                String origin = "";
                if (i.offset() >= 0) {
                    from = (int) Math.min(i.offset(), data.length);
                    len = (int) Math.min(i.length(), data.length - from);
                    origin = "<" + i.offset() + ">";
                }
                text(i.responseName() + origin + " {" + len + "}\r\n");
                out.write(data, from, len);
            }
            default -> throw new IllegalStateException(i.kind().name());
        }
    }

    private void text(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * STORE, passed to the provider by UID: FLAGS replaces there, and a conditional STORE (RFC 7162 §3.1.3,
     * UNCHANGEDSINCE) is the provider's own check; what it left alone comes back as [MODIFIED].
     */
    private void store(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        requireWritable();
        List<Long> which = pick(str(args.get(0)), byUid);
        int k = 1;
        long unchangedSince = -1;
        if (args.get(k) instanceof List<?> mods) {
            if (mods.size() != 2 || !str(mods.get(0)).equalsIgnoreCase("UNCHANGEDSINCE")) {
                throw new IllegalArgumentException("unknown STORE modifier");
            }
            unchangedSince = Long.parseLong(str(mods.get(1)));
            enableCondstore();
            k++;
        }
        String op = str(args.get(k)).toUpperCase(Locale.ROOT);
        boolean silent = op.endsWith(".SILENT");
        String base = silent ? op.substring(0, op.length() - 7) : op;
        if (!List.of("+FLAGS", "-FLAGS", "FLAGS").contains(base)) {
            throw new IllegalArgumentException("STORE: +FLAGS, -FLAGS or FLAGS");
        }
        Object v = args.get(k + 1);
        Flags f = parseFlags(v instanceof List<?> l ? l : args.subList(k + 1, args.size()));
        List<Long> modified = List.of();
        if (!which.isEmpty()) {
            Upstream.Stored r = upstream.store(SequenceSet.format(which), unchangedSince, base + ".SILENT", flagList(f));
            if (r.refused().isPresent()) {
                line(tag + (r.refused().get().bad() ? " BAD " : " NO ") + "the mailbox server: " + LogSafe.text(r.refused().get().text()));
                return;
            }
            modified = r.modified();
            upstream.items(SequenceSet.format(which), 0).forEach(this::note);
        }
        List<Long> modSeqs = new ArrayList<>();
        for (long uid : which) {
            if (modified.contains(uid)) {
                modSeqs.add((long) seq(uid));
                continue;
            }
            String u = byUid ? " UID " + uid : "";
            if (!silent) {
                line("* " + seq(uid) + " FETCH (FLAGS " + flagList(flags.get(uid)) + u + modseqItem(modseqs.getOrDefault(uid, 0L)) + ")");
            } else if (condstoreOn) {
                line("* " + seq(uid) + " FETCH (MODSEQ (" + modseqs.getOrDefault(uid, 0L) + ")" + u + ")"); // RFC 7162 §3.1.3, even .SILENT
            }
        }
        String mod = modified.isEmpty() ? "" : "[MODIFIED " + SequenceSet.format(byUid ? modified : modSeqs) + "] ";
        ok(tag, mod + (byUid ? "UID " : "") + "STORE " + (modified.isEmpty() ? "done" : "done, except where changed since"));
    }

    private void search(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        List<Object> criteria = args;
        if (!criteria.isEmpty() && criteria.get(0) instanceof String s && s.equalsIgnoreCase("CHARSET")) {
            criteria = criteria.subList(2, criteria.size()); // UTF-8 and US-ASCII are both read as UTF-8
        }
        Search q = Search.parse(criteria);
        if (q.usesModseq()) {
            enableCondstore();
        }
        StringBuilder b = new StringBuilder("* SEARCH");
        long top = 0;
        for (int i = 0; i < uids.size(); i++) {
            long uid = uids.get(i);
            if (q.matches(new Search.Candidate(i + 1, uid, uids.size(), uids.isEmpty() ? 0 : uids.get(uids.size() - 1), flags.get(uid),
                    dates.getOrDefault(uid, Instant.EPOCH), modseqs.getOrDefault(uid, 0L), () -> derived(uid, null, null).size(), () -> plaintext(uid)))) {
                b.append(' ').append(byUid ? uid : i + 1);
                top = Math.max(top, modseqs.getOrDefault(uid, 0L));
            }
        }
        if (q.usesModseq() && top > 0) {
            b.append(" (MODSEQ ").append(top).append(')'); // RFC 7162 §3.1.5
        }
        line(b.toString());
        ok(tag, (byUid ? "UID " : "") + "SEARCH done");
    }

    private void copy(String tag, boolean byUid, boolean move, List<Object> args) throws Exception {
        requireSelected();
        if (move) {
            requireWritable();
        }
        List<Long> which = pick(str(args.get(0)), byUid);
        String dest = mailboxName(args.get(1));
        Message[] ms = upstream.byUid(which.stream().mapToLong(Long::longValue).toArray());
        IMAPFolder target = upstream.folder(dest);
        if (!target.exists()) {
            line(tag + " NO [TRYCREATE] no such mailbox");
            return;
        }
        org.eclipse.angus.mail.imap.AppendUID[] r = move ? upstream.selected().moveUIDMessages(ms, target) : upstream.selected().copyUIDMessages(ms, target);
        String copyUid = "";
        if (r != null && r.length == which.size() && java.util.Arrays.stream(r).allMatch(java.util.Objects::nonNull)) {
            StringBuilder src = new StringBuilder();
            StringBuilder dst = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                src.append(i > 0 ? "," : "").append(which.get(i));
                dst.append(i > 0 ? "," : "").append(r[i].uid);
            }
            copyUid = "[COPYUID " + r[0].uidvalidity + " " + src + " " + dst + "] ";
        }
        if (move) {
            if (!copyUid.isEmpty()) {
                line("* OK " + copyUid.strip());
            }
            refresh();
            ok(tag, (byUid ? "UID " : "") + "MOVE done");
        } else {
            ok(tag, copyUid + (byUid ? "UID " : "") + "COPY done");
        }
    }

    private void uidExpunge(String tag, String set) throws Exception {
        requireSelected();
        requireWritable();
        List<Long> which = pick(set, true);
        Message[] ms = upstream.byUid(which.stream().mapToLong(Long::longValue).toArray());
        upstream.selected().expunge(ms);
        refresh();
        ok(tag, "UID EXPUNGE done");
    }

    private void append(String tag, List<Object> args) throws Exception {
        requireAuth();
        String dest = mailboxName(args.get(0));
        Flags f = new Flags();
        java.util.Date date = null;
        int i = 1;
        if (args.get(i) instanceof List<?> l) {
            f = parseFlags(l);
            i++;
        }
        if (args.get(i) instanceof ImapReader.Quoted q) {
            date = java.util.Date.from(java.time.ZonedDateTime.parse(q.text().strip(), DateTimeFormatter.ofPattern("d-MMM-yyyy HH:mm:ss Z", Locale.ROOT)).toInstant());
            i++;
        }
        byte[] message = ((ImapReader.Literal) args.get(i)).bytes();
        if (account.alreadyStored(user, dest, message)) {
            // the client's own Sent copy of a message mailseal relayed and already stored encrypted (Proton's sendrecorder idea)
            log.info("bridge: user=<{}>: APPEND to {} matched the Sent copy stored when the message was sent; not stored twice", user,
                    LogSafe.text(dest));
            ok(tag, "APPEND done (mailseal stored this message's Sent copy already)");
            return;
        }
        Optional<byte[]> sealed = account.seal(user, message);
        if (sealed.isEmpty()) {
            // fail closed: the cloud never gets a plaintext copy
            line(tag + " NO [CANNOT] you have no key the gateway could encrypt this message to; it was not stored");
            return;
        }
        long uid = upstream.append(dest, sealed.get(), f, date);
        IMAPFolder target = upstream.folder(dest);
        if (uid > 0) {
            // the plaintext the client sent is what it reads back: cached under the new UID at once
            account.cache().put(Cache.id(user, target.getFullName(), target.getUIDValidity(), uid), message);
            ok(tag, "[APPENDUID " + target.getUIDValidity() + " " + uid + "] APPEND done (stored encrypted)");
        } else {
            ok(tag, "APPEND done (stored encrypted)");
        }
        if (state == State.SELECTED && dest.equals(mailbox)) {
            refresh();
        }
    }

    private void idle(String tag) throws Exception {
        requireAuth();
        line("+ idling");
        flush();
        IMAPFolder f = state == State.SELECTED ? upstream.selected() : null;
        // the provider's IDLE (RFC 2177) wakes us when its mailbox changes; without it, a poll every idlePoll
        boolean push = f != null && upstream.supportsIdle();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean changed = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = null;
        jakarta.mail.event.MessageCountListener counts = new jakarta.mail.event.MessageCountListener() {
            @Override
            public void messagesAdded(jakarta.mail.event.MessageCountEvent e) {
                changed.set(true);
            }

            @Override
            public void messagesRemoved(jakarta.mail.event.MessageCountEvent e) {
                changed.set(true);
            }
        };
        jakarta.mail.event.MessageChangedListener flagsChanged = e -> changed.set(true);
        if (push) {
            // what the provider reports (EXISTS, EXPUNGE, FETCH FLAGS) arrives as these events, during IDLE or after
            f.addMessageCountListener(counts);
            f.addMessageChangedListener(flagsChanged);
            watcher = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        f.idle(true);
                    } catch (MessagingException | IllegalStateException e) {
                        changed.set(true); // the connection broke: the next refresh says so
                        return;
                    }
                }
            }, "bridge-idle");
            watcher.setDaemon(true);
            watcher.start();
        }
        long lastPoll = System.currentTimeMillis();
        socket.setSoTimeout(push ? 250 : (int) Math.max(200, Math.min(idlePoll, Integer.MAX_VALUE)));
        try {
            while (true) {
                String l;
                try {
                    l = reader.line();
                } catch (java.net.SocketTimeoutException t) {
                    boolean due = System.currentTimeMillis() - lastPoll >= idlePoll;
                    if (state == State.SELECTED && (changed.getAndSet(false) || due)) {
                        lastPoll = System.currentTimeMillis();
                        refresh(); // a command on the folder: the provider's IDLE is ended, the watcher starts another
                        flush();
                    }
                    continue;
                }
                if (l == null) {
                    throw new IOException("connection closed in IDLE");
                }
                if (l.strip().equalsIgnoreCase("DONE")) {
                    break;
                }
                line(tag + " BAD expected DONE");
                return;
            }
        } finally {
            stop.set(true);
            if (watcher != null) {
                try {
                    f.getMessageCount(); // ends the provider's IDLE
                } catch (MessagingException ignored) {
                    // the session goes on; the next command tells
                }
                watcher.join(5000);
                f.removeMessageCountListener(counts);
                f.removeMessageChangedListener(flagsChanged);
            }
            socket.setSoTimeout(30 * 60 * 1000);
        }
        ok(tag, "IDLE terminated");
    }

}
