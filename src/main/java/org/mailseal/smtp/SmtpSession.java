package org.mailseal.smtp;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.SessionInfo;
import org.mailseal.mail.XForward;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP (RFC 5321) or LMTP (RFC 2033) session, on its own thread. The protocol lives here; every
 * decision about mail is the {@link MailHandler}'s.
 */
final class SmtpSession implements Runnable {

    private static final Logger log = LoggerFactory.getLogger("smtpd");
    private static final int POLL_MILLIS = 1000;

    private final SmtpServer server;
    private final SmtpSettings settings;
    private final MailHandler handler;
    private Socket socket;
    private final java.net.InetAddress clientAddress;
    private SmtpInput in;
    private OutputStream out;
    private final Object writeLock = new Object();

    private final String clientName = "unknown";
    private String helo;
    private boolean esmtp;
    private String tls;
    private String authUser;
    private XForward xforward = XForward.EMPTY;

    private String queueId;
    private MailFrom mailFrom;
    private final List<RcptTo> rcpts = new ArrayList<>();
    private MailHandler.SpoolSink spool;
    private volatile boolean inTransaction;
    private volatile boolean closed;

    private int errors;
    private String lastVerb = "CONNECT";
    private final Map<String, Integer> counts = new LinkedHashMap<>();

    SmtpSession(SmtpServer server, Socket socket) {
        this.server = server;
        this.settings = server.settings();
        this.handler = server.handler();
        this.socket = socket;
        this.clientAddress = socket.getInetAddress();
    }

    java.net.InetAddress clientAddress() {
        return clientAddress;
    }

    /** Verbs counted by name in the disconnect line; anything else is {@code unknown} (as Postfix counts it). */
    private static final java.util.Set<String> VERBS = java.util.Set.of("EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA", "RSET",
            "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "XFORWARD", "BDAT");

    private String client() {
        return clientName + "[" + clientAddress.getHostAddress() + "]";
    }

    @Override
    public void run() {
        try {
            in = new SmtpInput(socket.getInputStream());
            out = new BufferedOutputStream(socket.getOutputStream(), 8192);
            log.info("connect from {}", client());
            reply(SmtpReply.plain(220, settings.hostname() + (settings.lmtp() ? " LMTP" : " ESMTP") + " mailseal"));
            flush();
            while (!closed) {
                String line = readCommand();
                if (line == null) {
                    break;
                }
                handle(line);
            }
        } catch (ProtocolViolation e) {
            log.warn("{}{} from {}: {}", queuePrefix(), "protocol violation", client(), e.reply().oneLine());
            safeReply(e.reply());
        } catch (SmtpInput.DeadlineExceeded e) {
            log.info("{}DATA deadline of {} s exceeded from {}", queuePrefix(), settings.clientLimits().dataDeadline().toSeconds(), client());
            safeReply(SmtpReply.TIMEOUT);
        } catch (SocketTimeoutException e) {
            log.info("{}timeout after {} from {}", queuePrefix(), inTransaction ? "DATA" : "command", client());
            safeReply(SmtpReply.TIMEOUT);
        } catch (EOFException e) {
            if (inTransaction) {
                log.info("{}lost connection after {} from {}", queuePrefix(), lastCommand(), client());
            }
        } catch (IOException e) {
            if (!closed) {
                log.info("{}lost connection after {} from {}: {}", queuePrefix(), lastCommand(), client(), e.getMessage());
            }
        } catch (RuntimeException e) {
            log.error("{}internal error in session with {}", queuePrefix(), client(), e);
            safeReply(SmtpReply.of(421, "4.3.0", settings.hostname() + " Error: internal error, closing connection"));
        } finally {
            discardSpool();
            forceClose();
            server.sessionEnded(this);
            log.info("disconnect from {}{}", client(), stats());
        }
    }

    void forceClose() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // ---- reading -------------------------------------------------------------------------------

    private String readCommand() throws IOException {
        long deadline = System.nanoTime() + settings.commandTimeout().toNanos();
        socket.setSoTimeout(POLL_MILLIS);
        while (true) {
            if (!in.hasBuffered()) {
                flush(); // RFC 2920 §3.1: replies to a pipelined group may go out together
            }
            try {
                SmtpInput.Line l = in.readLine(settings.maxCommandLineLength() + 1);
                if (l.tooLong(settings.maxCommandLineLength())) {
                    error(SmtpReply.of(500, "5.5.2", "Error: command line too long (limit " + settings.maxCommandLineLength() + ")"));
                    continue;
                }
                return decode(l);
            } catch (SocketTimeoutException e) {
                if (server.isDraining() && !inTransaction) {
                    reply(SmtpReply.SHUTDOWN);
                    flush();
                    return null;
                }
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    private String decode(SmtpInput.Line l) throws ProtocolViolation {
        for (int i = 0; i < l.length(); i++) {
            if (l.bytes()[i] == 0) {
                throw new ProtocolViolation(SmtpReply.of(500, "5.5.2", "Error: NUL character in command"));
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(l.bytes(), 0, l.length())).toString();
        } catch (CharacterCodingException e) {
            return "\uFFFD"; // answered as a bad command
        }
    }

    // ---- dispatch ------------------------------------------------------------------------------

    private void handle(String line) throws IOException {
        if (line.contains("\uFFFD")) {
            error(SmtpReply.of(500, "5.5.2", "Error: invalid UTF-8 in command"));
            return;
        }
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        lastVerb = VERBS.contains(verb) ? verb : "UNKNOWN";
        counts.merge(VERBS.contains(verb) ? verb.toLowerCase(Locale.ROOT) : "unknown", 1, Integer::sum);
        switch (verb) {
            case "EHLO", "HELO" -> {
                if (settings.lmtp()) {
                    error(SmtpReply.of(500, "5.5.1", "Error: use LHLO in LMTP"));
                } else {
                    hello(arg, verb.equals("EHLO"));
                }
            }
            case "LHLO" -> {
                if (settings.lmtp()) {
                    hello(arg, true);
                } else {
                    error(SmtpReply.of(502, "5.5.2", "Error: command not recognized"));
                }
            }
            case "MAIL" -> mail(arg);
            case "RCPT" -> rcpt(arg);
            case "DATA" -> data(arg);
            case "RSET" -> {
                if (!arg.isEmpty()) {
                    error(SmtpReply.of(501, "5.5.4", "Syntax: RSET"));
                    return;
                }
                resetTransaction();
                reply(SmtpReply.OK);
            }
            case "NOOP" -> reply(SmtpReply.OK);
            case "QUIT" -> {
                reply(SmtpReply.of(221, "2.0.0", "Bye"));
                flush();
                closed = true;
            }
            case "VRFY", "EXPN" -> reply(SmtpReply.of(502, "5.5.1", "Error: " + verb + " command is disabled"));
            case "HELP" -> reply(SmtpReply.of(214, "2.0.0", "See RFC 5321"));
            case "STARTTLS" -> startTls(arg);
            case "AUTH" -> auth(arg);
            case "XFORWARD" -> xforward(arg);
            case "BDAT" -> error(SmtpReply.of(502, "5.5.1", "Error: CHUNKING is not offered; use DATA"));
            default -> error(SmtpReply.of(502, "5.5.2", "Error: command not recognized"));
        }
    }

    private void hello(String arg, boolean extended) throws IOException {
        String name = arg.trim();
        if (name.isEmpty() || name.contains(" ")) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: " + (settings.lmtp() ? "LHLO" : extended ? "EHLO" : "HELO") + " hostname"));
            return;
        }
        resetTransaction(); // RFC 5321 §4.1.4: EHLO resets the state like RSET
        helo = name;
        esmtp = extended;
        if (!extended) {
            reply(SmtpReply.plain(250, settings.hostname()));
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(settings.hostname());
        lines.add("PIPELINING");                       // RFC 2920
        lines.add("SIZE " + settings.maxMessageSize()); // RFC 1870
        if (settings.tls() != null && tls == null) {
            lines.add("STARTTLS");                     // RFC 3207
        }
        if (settings.authEnabled() && tls != null) {
            lines.add("AUTH PLAIN LOGIN");             // RFC 4954; only over TLS
        }
        lines.add("ENHANCEDSTATUSCODES");              // RFC 2034
        lines.add("8BITMIME");                         // RFC 6152
        lines.add("DSN");                              // RFC 3461
        lines.add("SMTPUTF8");                         // RFC 6531
        if (settings.xforwardAllowed().test(socket.getInetAddress())) {
            lines.add("XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
        }
        reply(new SmtpReply(250, null, lines));
    }

    private void mail(String arg) throws IOException {
        if (helo == null) {
            error(SmtpReply.of(503, "5.5.1", "Error: send " + (settings.lmtp() ? "LHLO" : "HELO/EHLO") + " first"));
            return;
        }
        if (mailFrom != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: nested MAIL command"));
            return;
        }
        if (server.isDraining()) {
            reply(SmtpReply.SHUTDOWN);
            closed = true;
            return;
        }
        if (!arg.regionMatches(true, 0, "FROM:", 0, 5)) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>"));
            return;
        }
        try {
            MailFrom m = EnvelopeParser.parseMail(arg.substring(5), settings.maxMessageSize());
            if ((m.body() != null || m.smtputf8() || m.size() != null || m.ret() != null || m.envid() != null) && !esmtp) {
                throw new SmtpException(555, "5.5.4", "Error: MAIL parameters need EHLO");
            }
            SmtpReply refused = handler.checkSender(sessionInfo(), m);
            if (refused != null) {
                log.info("NOQUEUE: reject: MAIL from {}: {}; from=<{}> proto={} helo=<{}>", client(), refused.oneLine(), m.sender(),
                        esmtp ? "ESMTP" : "SMTP", helo);
                error(refused);
                return;
            }
            mailFrom = m;
            queueId = handler.newQueueId();
            inTransaction = true;
            log.info("{}: client={}{}{}", queueId, client(),
                    authUser != null ? ", sasl_username=" + authUser : "",
                    xforward.ident() != null ? ", orig_queue_id=" + xforward.ident() : "");
            reply(SmtpReply.of(250, "2.1.0", "Ok"));
        } catch (SmtpException e) {
            log.info("NOQUEUE: reject: MAIL from {}: {}; proto={} helo=<{}>", client(), e.reply().oneLine(),
                    esmtp ? "ESMTP" : "SMTP", helo);
            error(e.reply());
        }
    }

    private void rcpt(String arg) throws IOException {
        if (mailFrom == null) {
            error(SmtpReply.of(503, "5.5.1", "Error: need MAIL command"));
            return;
        }
        if (!arg.regionMatches(true, 0, "TO:", 0, 3)) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>"));
            return;
        }
        if (rcpts.size() >= settings.maxRecipients()) {
            // RFC 5321 §4.5.3.1.10
            reply(SmtpReply.of(452, "4.5.3", "Error: too many recipients"));
            return;
        }
        try {
            RcptTo r = EnvelopeParser.parseRcpt(arg.substring(3), mailFrom.smtputf8(), settings.postmasterDomain());
            if ((!r.notifyOn().isEmpty() || r.orcpt() != null) && !esmtp) {
                throw new SmtpException(555, "5.5.4", "Error: RCPT parameters need EHLO");
            }
            SmtpReply refusal = handler.checkRecipient(sessionInfo(), mailFrom, r);
            if (refusal != null) {
                log.info("{}: reject: RCPT from {}: {}; from=<{}> to=<{}> proto={} helo=<{}>", queueId, client(),
                        refusal.oneLine(), mailFrom.sender(), r.recipient(),
                        esmtp ? "ESMTP" : "SMTP", helo);
                error(refusal);
                return;
            }
            rcpts.add(r);
            reply(SmtpReply.of(250, "2.1.5", "Ok"));
        } catch (SmtpException e) {
            log.info("{}: reject: RCPT from {}: {}", queueId, client(), e.reply().oneLine());
            error(e.reply());
        }
    }

    private void data(String arg) throws IOException {
        if (mailFrom == null) {
            error(SmtpReply.of(503, "5.5.1", "Error: need MAIL command"));
            return;
        }
        if (rcpts.isEmpty()) {
            error(SmtpReply.of(503, "5.5.1", "Error: need RCPT command"));
            return;
        }
        if (!arg.isEmpty()) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: DATA"));
            return;
        }
        Transaction tx = new Transaction(queueId, sessionInfo(), mailFrom, rcpts, Instant.now());
        try {
            spool = handler.openSpool(tx);
        } catch (IOException e) {
            log.warn("{}: cannot open spool file: {}", queueId, e.getMessage());
            reply(spoolErrorReply(e));
            resetTransaction();
            return;
        }
        reply(SmtpReply.plain(354, "End data with <CR><LF>.<CR><LF>"));
        flush();
        GuardedOutput guarded = new GuardedOutput(spool.out());
        SmtpInput.DataStatus status = in.readData(guarded, settings.maxMessageSize(), settings.maxDataLineLength(), socket,
                System.nanoTime() + settings.clientLimits().dataDeadline().toNanos(),
                (int) Math.min(Integer.MAX_VALUE, settings.dataTimeout().toMillis()));
        if (status == SmtpInput.DataStatus.TOO_BIG) {
            log.info("{}: reject: message too big (limit {}) from {}", queueId, settings.maxMessageSize(), client());
            reply(SmtpReply.of(552, "5.3.4", "Error: message file too big"));
        } else if (status == SmtpInput.DataStatus.LINE_TOO_LONG) {
            log.info("{}: reject: line longer than {} octets from {}", queueId, settings.maxDataLineLength(), client());
            reply(SmtpReply.of(500, "5.5.2", "Error: message line longer than " + settings.maxDataLineLength()
                    + " octets (RFC 5321 section 4.5.3.1.6)"));
        } else if (guarded.failure != null) {
            log.warn("{}: spool write failed: {}", queueId, guarded.failure.getMessage());
            reply(spoolErrorReply(guarded.failure));
        } else {
            try {
                spool.commit();
            } catch (IOException e) {
                log.warn("{}: spool commit failed: {}", queueId, e.getMessage());
                reply(spoolErrorReply(e));
                resetTransaction();
                return;
            }
            List<SmtpReply> replies = handler.deliver(tx, spool, settings.lmtp());
            spool = null; // the handler owns the spool file from here on
            for (SmtpReply r : replies) {
                reply(r);
            }
        }
        resetTransaction();
        if (server.isDraining()) {
            reply(SmtpReply.SHUTDOWN);
            flush();
            closed = true;
        }
    }

    /** Disk full gets 452 4.3.1 (RFC 3463 §3.4), anything else 451 4.3.0. */
    private static SmtpReply spoolErrorReply(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("no space") || m.contains("quota") || m.contains("disk full")) {
            return SmtpReply.of(452, "4.3.1", "Error: insufficient system storage");
        }
        return SmtpReply.TEMP_ERROR;
    }

    private void startTls(String arg) throws IOException {
        if (!arg.isEmpty()) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: STARTTLS"));
            return;
        }
        if (settings.tls() == null) {
            error(SmtpReply.of(502, "5.5.1", "Error: command not implemented"));
            return;
        }
        if (tls != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: TLS already active"));
            return;
        }
        if (mailFrom != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress"));
            return;
        }
        reply(SmtpReply.of(220, "2.0.0", "Ready to start TLS"));
        flush();
        if (in.hasBuffered()) {
            // RFC 3207 §4.2 / CVE-2011-0411: plaintext pipelined behind STARTTLS is discarded, never executed.
            log.warn("{}: discarding {} octets of plaintext pipelined after STARTTLS", client(), in.buffered());
        }
        SSLSocket ssl = (SSLSocket) settings.tls().getSocketFactory()
                .createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        ssl.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.commandTimeout().toMillis()));
        ssl.startHandshake();
        socket = ssl;
        in = new SmtpInput(ssl.getInputStream());
        out = new BufferedOutputStream(ssl.getOutputStream(), 8192);
        tls = ssl.getSession().getProtocol() + " " + ssl.getSession().getCipherSuite();
        log.info("{}: TLS established: {}", client(), tls);
        // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again.
        helo = null;
        esmtp = false;
        authUser = null;
        xforward = XForward.EMPTY;
        resetTransaction();
    }

    private void auth(String arg) throws IOException {
        if (!settings.authEnabled() || !esmtp) {
            error(SmtpReply.of(503, "5.5.1", "Error: authentication not enabled"));
            return;
        }
        if (tls == null) {
            error(SmtpReply.of(538, "5.7.11", "Error: encryption required for requested authentication mechanism"));
            return;
        }
        if (authUser != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: already authenticated"));
            return;
        }
        if (mailFrom != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress"));
            return;
        }
        String[] parts = arg.trim().split(" ");
        String mech = parts[0].toUpperCase(Locale.ROOT);
        String initial = parts.length > 1 ? parts[1] : null;
        String user;
        String password;
        try {
            if (mech.equals("PLAIN")) { // RFC 4616 §2: [authzid] NUL authcid NUL passwd
                String resp = initial != null ? (initial.equals("=") ? "" : initial) : challenge("");
                String[] f = new String(Base64.getDecoder().decode(resp), StandardCharsets.UTF_8).split("\0", -1);
                if (f.length != 3) {
                    throw new IllegalArgumentException("bad PLAIN response");
                }
                user = f[1];
                password = f[2];
            } else if (mech.equals("LOGIN")) {
                String u = initial != null ? initial : challenge("VXNlcm5hbWU6");
                user = new String(Base64.getDecoder().decode(u), StandardCharsets.UTF_8);
                password = new String(Base64.getDecoder().decode(challenge("UGFzc3dvcmQ6")), StandardCharsets.UTF_8);
            } else {
                error(SmtpReply.of(504, "5.5.4", "Error: unsupported authentication mechanism"));
                return;
            }
        } catch (AuthAborted e) {
            error(SmtpReply.of(501, "5.7.0", "Error: authentication aborted"));
            return;
        } catch (IllegalArgumentException e) {
            error(SmtpReply.of(501, "5.5.2", "Error: cannot decode response"));
            return;
        }
        switch (handler.authenticate(user, password)) {
            case OK -> {
                authUser = user;
                log.info("{}: sasl_method={}, sasl_username={}", client(), mech, user);
                reply(SmtpReply.of(235, "2.7.0", "Authentication successful"));
            }
            case TEMPORARY -> {
                // RFC 4954 §6: a temporary failure (here: too many password checks at once)
                log.warn("{}: SASL {} authentication deferred for user {}: too many concurrent checks", client(), mech, user);
                error(SmtpReply.of(454, "4.7.0", "Error: temporary authentication failure"));
            }
            case FAILED -> {
                log.warn("{}: SASL {} authentication failed for user {}", client(), mech, user);
                if (server.anvil().authFailed(clientAddress)) {
                    log.warn("{}: too many AUTH failures; backing off", client());
                    reply(SmtpReply.of(421, "4.7.0", settings.hostname() + " Error: too many authentication failures"));
                    flush();
                    closed = true;
                    return;
                }
                error(SmtpReply.of(535, "5.7.8", "Error: authentication failed"));
            }
            default -> throw new IllegalStateException();
        }
    }

    private static final class AuthAborted extends Exception {
        AuthAborted() {
            super(null, null, false, false);
        }
    }

    private String challenge(String b64) throws IOException, AuthAborted {
        reply(SmtpReply.plain(334, b64));
        flush();
        String line = readCommand();
        if (line == null) {
            throw new EOFException();
        }
        if (line.equals("*")) { // RFC 4954 §4
            throw new AuthAborted();
        }
        return line.trim();
    }

    // Postfix XFORWARD_README: attribute=value pairs, values xtext-encoded; only from authorised clients.
    private void xforward(String arg) throws IOException {
        if (!settings.xforwardAllowed().test(socket.getInetAddress())) {
            error(SmtpReply.of(550, "5.7.0", "Error: insufficient authorization"));
            return;
        }
        if (mailFrom != null) {
            error(SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress"));
            return;
        }
        if (arg.isBlank()) {
            error(SmtpReply.of(501, "5.5.4", "Syntax: XFORWARD attribute=value..."));
            return;
        }
        XForward x = xforward;
        for (String pair : arg.trim().split(" +")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair.toUpperCase(Locale.ROOT) : pair.substring(0, eq).toUpperCase(Locale.ROOT);
            if (eq < 0 || !List.of("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE").contains(name)) {
                error(SmtpReply.of(501, "5.5.4", "Error: bad XFORWARD attribute " + name));
                return;
            }
            String value = xtextDecode(pair.substring(eq + 1));
            if (value.equals("[UNAVAILABLE]") || value.equals("[TEMPUNAVAIL]")) {
                value = null;
            }
            x = x.with(name, value);
        }
        xforward = x;
        reply(SmtpReply.OK);
    }

    static String xtextDecode(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+' && i + 2 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                    continue;
                } catch (NumberFormatException ignored) {
                    // literal
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    // ---- state --------------------------------------------------------------------------------

    private SessionInfo sessionInfo() {
        return new SessionInfo(socket.getInetAddress(), clientName, helo, esmtp, settings.lmtp(), tls, authUser, xforward);
    }

    private void resetTransaction() {
        discardSpool();
        if (mailFrom != null && queueId != null && rcpts.isEmpty()) {
            log.debug("{}: transaction reset", queueId);
        }
        mailFrom = null;
        queueId = null;
        rcpts.clear();
        inTransaction = false;
        // XFORWARD attributes apply to one transaction (XFORWARD_README)
        xforward = XForward.EMPTY;
    }

    private void discardSpool() {
        if (spool != null) {
            spool.discard();
            spool = null;
        }
    }

    private String queuePrefix() {
        return queueId != null ? queueId + ": " : "";
    }

    private String lastCommand() {
        return lastVerb;
    }

    private String stats() {
        StringBuilder sb = new StringBuilder();
        int total = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
            total += e.getValue();
        }
        return sb.append(" commands=").append(total).toString();
    }

    // ---- writing ------------------------------------------------------------------------------

    private void error(SmtpReply r) throws IOException {
        reply(r);
        if (++errors >= settings.maxErrors()) {
            reply(SmtpReply.of(421, "4.7.0", settings.hostname() + " Error: too many errors"));
            flush();
            log.info("too many errors from {}", client());
            closed = true;
        }
    }

    private void reply(SmtpReply r) throws IOException {
        synchronized (writeLock) {
            out.write(r.toWire());
        }
    }

    private void flush() throws IOException {
        synchronized (writeLock) {
            out.flush();
        }
    }

    private void safeReply(SmtpReply r) {
        try {
            synchronized (writeLock) {
                if (out != null) {
                    out.write(r.toWire());
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    /** Remembers the first write error (disk full) and drops the rest, so the DATA stream stays in sync. */
    private static final class GuardedOutput extends OutputStream {
        private final OutputStream target;
        IOException failure;

        GuardedOutput(OutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            if (failure == null) {
                try {
                    target.write(b);
                } catch (IOException e) {
                    failure = e;
                }
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (failure == null) {
                try {
                    target.write(b, off, len);
                } catch (IOException e) {
                    failure = e;
                }
            }
        }
    }
}
