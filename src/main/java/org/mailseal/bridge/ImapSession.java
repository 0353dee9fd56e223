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
    private Upstream upstream;

    // the selected mailbox
    private String mailbox;
    private boolean readOnly;
    private long uidValidity;
    private List<Long> uids = new ArrayList<>();
    private Map<Long, Flags> flags = new HashMap<>();
    private Map<Long, Instant> dates = new HashMap<>();

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
                } catch (Upstream.Unavailable | MessagingException down) {
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
        return CAPS;
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
            case "ENABLE" -> {
                requireAuth();
                line("* ENABLED");
                ok(tag, "ENABLE done");
            }
            case "LIST", "LSUB" -> list(tag, name, str(args.get(0)), str(args.get(1)));
            case "STATUS" -> status(tag, mailboxName(args.get(0)), (List<?>) args.get(1));
            case "SELECT", "EXAMINE" -> select(tag, mailboxName(args.get(0)), name.equals("EXAMINE"));
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
                default -> throw new IllegalArgumentException("unknown STATUS item " + w);
            };
            b.append(b.length() > 0 ? " " : "").append(w).append(' ').append(v);
        }
        line("* STATUS " + MimeTree.nstring(name) + " (" + b + ")");
        ok(tag, "STATUS done");
    }

    private void select(String tag, String name, boolean examine) throws Exception {
        requireAuth();
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
        state = State.SELECTED;
        line("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
        line("* " + uids.size() + " EXISTS");
        line("* 0 RECENT");
        line("* OK [UIDVALIDITY " + uidValidity + "] UIDs valid");
        line("* OK [UIDNEXT " + f.getUIDNext() + "] predicted next UID");
        line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags permitted");
        ok(tag, (readOnly ? "[READ-ONLY]" : "[READ-WRITE]") + " " + (examine ? "EXAMINE" : "SELECT") + " done");
    }

    private void load(List<Upstream.Item> items) {
        uids = new ArrayList<>();
        flags = new HashMap<>();
        dates = new HashMap<>();
        for (Upstream.Item i : items) {
            uids.add(i.uid());
            flags.put(i.uid(), i.flags());
            dates.put(i.uid(), i.internalDate());
        }
        uids.sort(null);
    }

    /** Brings the session's view up to the mailbox's: EXPUNGE for what went, FETCH FLAGS for what changed, EXISTS for what came. */
    private void refresh() throws Exception {
        IMAPFolder f = upstream.selected();
        if (f == null || !f.isOpen()) {
            throw new Upstream.Unavailable("the mailbox was closed by the server", null);
        }
        f.getMessageCount(); // a NOOP upstream: the server's news arrive
        List<Upstream.Item> now = upstream.items();
        java.util.Set<Long> present = new java.util.HashSet<>();
        now.forEach(i -> present.add(i.uid()));
        for (int seq = uids.size(); seq >= 1; seq--) {
            if (!present.contains(uids.get(seq - 1))) {
                line("* " + seq + " EXPUNGE");
                uids.remove(seq - 1);
            }
        }
        java.util.Set<Long> known = new java.util.HashSet<>(uids);
        for (Upstream.Item i : now) {
            Flags old = flags.get(i.uid());
            if (known.contains(i.uid()) && old != null && !old.equals(i.flags())) {
                line("* " + seq(i.uid()) + " FETCH (FLAGS " + flagList(i.flags()) + " UID " + i.uid() + ")");
            }
            flags.put(i.uid(), i.flags());
            dates.put(i.uid(), i.internalDate());
        }
        boolean grew = false;
        for (Upstream.Item i : now) {
            if (!known.contains(i.uid())) {
                uids.add(i.uid());
                grew = true;
            }
        }
        if (grew) {
            uids.sort(null);
            line("* " + uids.size() + " EXISTS");
        }
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
            } else if (s == Flags.Flag.RECENT) {
                out.add("\\Recent");
            }
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

    private void fetch(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        List<Long> which = pick(str(args.get(0)), byUid);
        List<FetchItem> items = FetchItem.parse(args.subList(1, args.size()));
        if (byUid && items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.UID)) {
            items = new ArrayList<>(items);
            items.add(0, new FetchItem(FetchItem.Kind.UID, null, false, -1, -1));
        }
        boolean content = items.stream().anyMatch(FetchItem::needsContent);
        boolean setsSeen = !readOnly && items.stream().anyMatch(i -> i.kind() == FetchItem.Kind.SECTION && !i.peek());
        for (long uid : which) {
            int seq = seq(uid);
            byte[] m = content ? plaintext(uid) : null;
            MimeTree.Entity tree = content ? MimeTree.parse(m) : null;
            if (setsSeen && !flags.get(uid).contains(Flags.Flag.SEEN)) {
                Message[] ms = upstream.byUid(new long[] {uid});
                upstream.selected().setFlags(ms, new Flags(Flags.Flag.SEEN), true);
                flags.get(uid).add(Flags.Flag.SEEN);
                if (items.stream().noneMatch(i -> i.kind() == FetchItem.Kind.FLAGS)) {
                    items = new ArrayList<>(items);
                    items.add(new FetchItem(FetchItem.Kind.FLAGS, null, false, -1, -1));
                }
            }
            out.write(("* " + seq + " FETCH (").getBytes(StandardCharsets.US_ASCII));
            boolean first = true;
            for (FetchItem i : items) {
                if (!first) {
                    out.write(' ');
                }
                first = false;
                writeItem(i, uid, m, tree);
            }
            out.write(")\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        ok(tag, (byUid ? "UID " : "") + "FETCH done");
    }

    private void writeItem(FetchItem i, long uid, byte[] m, MimeTree.Entity tree) throws IOException {
        switch (i.kind()) {
            case UID -> text("UID " + uid);
            case FLAGS -> text("FLAGS " + flagList(flags.get(uid)));
            case INTERNALDATE -> text("INTERNALDATE \"" + INTERNALDATE.format(dates.getOrDefault(uid, Instant.EPOCH)) + "\"");
            case RFC822_SIZE -> text("RFC822.SIZE " + m.length);
            case ENVELOPE -> text("ENVELOPE " + MimeTree.envelope(tree.header()));
            case BODYSTRUCTURE -> text("BODYSTRUCTURE " + MimeTree.bodyStructure(m, tree));
            case BODY -> text("BODY " + MimeTree.body(m, tree));
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

    private void store(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        requireWritable();
        List<Long> which = pick(str(args.get(0)), byUid);
        String op = str(args.get(1)).toUpperCase(Locale.ROOT);
        boolean silent = op.endsWith(".SILENT");
        String base = silent ? op.substring(0, op.length() - 7) : op;
        Object v = args.get(2);
        Flags f = parseFlags(v instanceof List<?> l ? l : args.subList(2, args.size()));
        Message[] ms = upstream.byUid(which.stream().mapToLong(Long::longValue).toArray());
        IMAPFolder folder = upstream.selected();
        switch (base) {
            case "+FLAGS" -> folder.setFlags(ms, f, true);
            case "-FLAGS" -> folder.setFlags(ms, f, false);
            case "FLAGS" -> {
                Flags all = new Flags();
                all.add(Flags.Flag.ANSWERED);
                all.add(Flags.Flag.DELETED);
                all.add(Flags.Flag.DRAFT);
                all.add(Flags.Flag.FLAGGED);
                all.add(Flags.Flag.SEEN);
                for (long uid : which) {
                    for (String u : flags.get(uid).getUserFlags()) {
                        all.add(u);
                    }
                }
                folder.setFlags(ms, all, false);
                folder.setFlags(ms, f, true);
            }
            default -> throw new IllegalArgumentException("STORE: +FLAGS, -FLAGS or FLAGS");
        }
        for (Upstream.Item i : upstream.items()) {
            if (which.contains(i.uid())) {
                flags.put(i.uid(), i.flags());
                if (!silent) {
                    line("* " + seq(i.uid()) + " FETCH (FLAGS " + flagList(i.flags()) + (byUid ? " UID " + i.uid() : "") + ")");
                }
            }
        }
        ok(tag, (byUid ? "UID " : "") + "STORE done");
    }

    private void search(String tag, boolean byUid, List<Object> args) throws Exception {
        requireSelected();
        List<Object> criteria = args;
        if (!criteria.isEmpty() && criteria.get(0) instanceof String s && s.equalsIgnoreCase("CHARSET")) {
            criteria = criteria.subList(2, criteria.size()); // UTF-8 and US-ASCII are both read as UTF-8
        }
        Search q = Search.parse(criteria);
        StringBuilder b = new StringBuilder("* SEARCH");
        for (int i = 0; i < uids.size(); i++) {
            long uid = uids.get(i);
            if (q.matches(new Search.Candidate(i + 1, uid, uids.size(), uids.isEmpty() ? 0 : uids.get(uids.size() - 1), flags.get(uid),
                    dates.getOrDefault(uid, Instant.EPOCH), () -> plaintext(uid)))) {
                b.append(' ').append(byUid ? uid : i + 1);
            }
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
