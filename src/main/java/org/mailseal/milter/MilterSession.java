package org.mailseal.milter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.logging.LogSafe;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.SessionInfo;
import org.mailseal.mail.XForward;
import org.mailseal.pipeline.Outcome;
import org.mailseal.pipeline.RecipientResult;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.QueueIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One milter connection from Postfix or Sendmail: the protocol only (milter v6: negotiate, macros,
 * per-recipient replies, header and body edits). The message runs through MailFlow's milter lane, the
 * same stages as the content filter's; the result is put in place of the message with CHGHEADER,
 * ADDHEADER and REPLBODY. A milter cannot split a message: a recipient that would need another form
 * than the recipients before it is answered 451 at RCPT (the MTA retries it as a separate delivery).
 */
final class MilterSession implements Runnable {

    private static final Logger log = LoggerFactory.getLogger("milter");
    static final int MAX_HEADER = MailItem.MAX_HEADER;

    private final Socket socket;
    private final MilterServer server;
    private DataOutputStream out;
    private int noReply; // SMFIP_NR_* the MTA and mailseal agreed on
    private boolean leadingSpace;

    private final Map<String, String> macros = new HashMap<>();
    private InetAddress clientAddress = InetAddress.getLoopbackAddress();
    private String clientName = "localhost";
    private String helo = "";
    private String queueId;
    private Instant started;
    private MailFrom mailFrom;
    private final List<Recipient> recipients = new ArrayList<>();
    private String form;
    private Path message;
    private OutputStream messageOut;
    private long headerBytes;
    private long size;
    private boolean tooBig;
    private boolean headerTooBig;

    MilterSession(Socket socket, MilterServer server) {
        this.socket = socket;
        this.server = server;
    }

    @Override
    public void run() {
        try (Socket s = socket) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 65536));
            out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 65536));
            while (true) {
                MilterPacket p = MilterPacket.read(in);
                if (p == null || p.command() == MilterPacket.QUIT) {
                    break;
                }
                handle(p);
                out.flush();
            }
        } catch (IOException e) {
            log.info("{}milter connection ended: {}", prefix(), LogSafe.text(e.getMessage()));
        } catch (RuntimeException e) {
            log.error("{}milter session failed", prefix(), e);
        } finally {
            resetMessage();
        }
    }

    private String prefix() {
        return queueId != null ? queueId + ": " : "";
    }

    private void handle(MilterPacket p) throws IOException {
        switch (p.command()) {
            case MilterPacket.OPTNEG -> negotiate(p);
            case MilterPacket.MACRO -> { // a command code byte, then name\0value\0 pairs; no reply
                if (p.data().length > 0) {
                    List<String> kv = new MilterPacket(p.command(), java.util.Arrays.copyOfRange(p.data(), 1, p.data().length)).strings();
                    for (int i = 0; i + 1 < kv.size(); i += 2) {
                        macros.put(kv.get(i).replace("{", "").replace("}", ""), kv.get(i + 1));
                    }
                }
            }
            case MilterPacket.CONNECT -> {
                connect(p);
                proceed(MilterPacket.SMFIP_NR_CONN);
            }
            case MilterPacket.HELO -> {
                helo = first(p);
                proceed(MilterPacket.SMFIP_NR_HELO);
            }
            case MilterPacket.DATA -> proceed(MilterPacket.SMFIP_NR_DATA);
            case MilterPacket.UNKNOWN -> proceed(MilterPacket.SMFIP_NR_UNKN);
            case MilterPacket.MAIL -> mail(p);
            case MilterPacket.RCPT -> rcpt(p);
            case MilterPacket.HEADER -> {
                header(p);
                proceed(MilterPacket.SMFIP_NR_HDR);
            }
            case MilterPacket.EOH -> {
                write("\r\n".getBytes(StandardCharsets.US_ASCII));
                proceed(MilterPacket.SMFIP_NR_EOH);
            }
            case MilterPacket.BODY -> {
                write(p.data());
                proceed(MilterPacket.SMFIP_NR_BODY);
            }
            case MilterPacket.BODYEOB -> { // may carry the last body chunk
                write(p.data());
                try {
                    endOfMessage();
                } finally {
                    resetMessage();
                }
            }
            case MilterPacket.ABORT -> resetMessage();
            case MilterPacket.QUIT_NC -> { // the MTA reuses this connection for another SMTP session
                resetMessage();
                macros.clear();
                clientAddress = InetAddress.getLoopbackAddress();
                clientName = "localhost";
                helo = "";
            }
            default -> reply(MilterPacket.CONTINUE);
        }
    }

    // CONTINUE, unless the MTA agreed not to wait for an answer to this command.
    private void proceed(int noReplyFlag) throws IOException {
        if ((noReply & noReplyFlag) == 0) {
            reply(MilterPacket.CONTINUE);
        }
    }

    private void negotiate(MilterPacket p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(p.data());
        int version = b.getInt();
        int actions = b.getInt();
        int protocol = b.getInt();
        if (version < 6) {
            throw new IOException("milter protocol version " + version + " is too old (need 6)");
        }
        int want = MilterPacket.SMFIF_ADDHDRS | MilterPacket.SMFIF_CHGBODY | MilterPacket.SMFIF_CHGHDRS;
        if ((actions & want) != want) {
            log.warn("the MTA does not allow header and body changes (actions {}); messages that need a change are tempfailed",
                    Integer.toHexString(actions));
        }
        leadingSpace = (protocol & MilterPacket.SMFIP_HDR_LEADSPC) != 0;
        noReply = protocol & MilterPacket.NO_REPLY; // only what the MTA offered
        ByteBuffer r = ByteBuffer.allocate(12);
        r.putInt(MilterPacket.VERSION);
        r.putInt(actions & want);
        r.putInt((protocol & MilterPacket.SMFIP_HDR_LEADSPC) | noReply);
        MilterPacket.write(out, MilterPacket.OPTNEG, r.array());
    }

    // SMFIC_CONNECT: hostname\0, family ('4', '6', 'L' local socket, 'U' unknown), port (2 bytes), address\0.
    private void connect(MilterPacket p) {
        byte[] d = p.data();
        int nul = 0;
        while (nul < d.length && d[nul] != 0) {
            nul++;
        }
        clientName = new String(d, 0, nul, StandardCharsets.UTF_8);
        clientAddress = InetAddress.getLoopbackAddress(); // local submission (sendmail -bm, pickup) counts as this host
        if (nul + 4 < d.length && (d[nul + 1] == '4' || d[nul + 1] == '6')) {
            int start = nul + 4;
            int end = start;
            while (end < d.length && d[end] != 0) {
                end++;
            }
            String a = new String(d, start, end - start, StandardCharsets.US_ASCII);
            if (a.regionMatches(true, 0, "IPv6:", 0, 5)) {
                a = a.substring(5);
            }
            try {
                if (a.matches("[0-9a-fA-F:.]+")) {
                    clientAddress = InetAddress.getByName(a); // a literal: no lookup
                }
            } catch (IOException e) {
                log.warn("milter: unusable client address {}", LogSafe.text(a));
            }
        }
    }

    private SessionInfo session() {
        String auth = macros.get("auth_authen");
        return new SessionInfo(clientAddress, clientName.isEmpty() ? "unknown" : clientName, helo, true, false,
                macros.get("tls_version"), auth == null || auth.isEmpty() ? null : auth, XForward.EMPTY);
    }

    private static String first(MilterPacket p) {
        List<String> s = p.strings();
        return s.isEmpty() ? "" : s.get(0);
    }

    private static String unbracket(String arg) {
        return arg.startsWith("<") && arg.endsWith(">") ? arg.substring(1, arg.length() - 1) : arg;
    }

    private void mail(MilterPacket p) throws IOException {
        resetMessage();
        queueId = QueueIds.next();
        started = Instant.now();
        String sender = unbracket(first(p));
        try {
            mailFrom = MailFrom.of(sender.isEmpty() ? Address.NULL_SENDER : Address.parse(sender));
        } catch (IllegalArgumentException e) {
            log.info("{}: milter: from=<{}> unusable; rejected", queueId, LogSafe.text(sender));
            replyCode(SmtpReply.of(553, "5.1.7", "Error: bad sender address syntax"));
            return;
        }
        log.info("{}: milter: client={}, from=<{}>, mta_queue_id={}", queueId, LogSafe.text(session().client()), LogSafe.text(sender),
                LogSafe.text(macros.getOrDefault("i", "?")));
        reply(MilterPacket.CONTINUE);
    }

    private void rcpt(MilterPacket p) throws IOException {
        String addr = unbracket(first(p));
        Address a;
        try {
            a = Address.parse(addr);
        } catch (IllegalArgumentException e) {
            // Never let a recipient mailseal cannot judge through: the MTA would deliver the message to it untouched.
            log.info("{}: to=<{}>, reject: unusable address ({})", queueId, LogSafe.text(addr), e.getMessage());
            replyCode(SmtpReply.of(553, "5.1.3", "Error: bad recipient address syntax"));
            return;
        }
        SmtpReply refused = server.access().checkLocalPart(a);
        Direction direction = server.access().classify(session(), a);
        if (refused == null && direction == null) {
            // Not a local domain, and the client neither authenticated nor in networks.trusted.
            refused = SmtpReply.of(554, "5.7.1", "<" + a + ">: Relay access denied");
        }
        if (refused != null) {
            log.info("{}: to=<{}>, reject: {}", queueId, a, refused.oneLine());
            replyCode(refused);
            return;
        }
        RecipientDecider.Decision d;
        try {
            d = (direction == Direction.INBOUND ? server.inbound() : server.outbound()).decide(queueId, a);
        } catch (Exception e) {
            log.error("{}: to=<{}>, policy failed; tempfail", queueId, a, e);
            replyCode(SmtpReply.of(451, "4.3.0", "<" + a + ">: internal error, try again later"));
            return;
        }
        if (d instanceof RecipientDecider.Refuse f) {
            replyCode(f.reply());
            return;
        }
        String key = direction + "|" + d.groupKey();
        if (form == null) {
            form = key;
        } else if (!form.equals(key)) {
            log.warn("{}: to=<{}>, tempfail: this recipient needs another form ({}) than the others ({}); a milter cannot split a message"
                    + " - the MTA delivers it separately", queueId, a, key, form);
            replyCode(SmtpReply.of(451, "4.7.1", "<" + a + ">: needs a separate delivery; try again later"));
            return;
        }
        recipients.add(new Recipient(RcptTo.of(a), direction, recipients.size()));
        reply(MilterPacket.CONTINUE);
    }

    private void header(MilterPacket p) throws IOException {
        List<byte[]> nv = p.byteStrings();
        byte[] name = nv.isEmpty() ? new byte[0] : nv.get(0);
        byte[] value = nv.size() > 1 ? nv.get(1) : new byte[0];
        ByteArrayOutputStream f = new ByteArrayOutputStream(name.length + value.length + 4);
        f.writeBytes(name);
        f.write(':');
        if (!leadingSpace) {
            f.write(' '); // without SMFIP_HDR_LEADSPC the MTA took the space after the colon off
        }
        // Postfix folds with LF, Sendmail with CRLF: the spool holds CRLF.
        f.writeBytes(new String(value, StandardCharsets.ISO_8859_1).replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        f.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        headerBytes += f.size();
        if (headerBytes > MAX_HEADER) {
            headerTooBig = true;
            return;
        }
        write(f.toByteArray());
    }

    private void write(byte[] b) throws IOException {
        if (tooBig || headerTooBig) {
            return;
        }
        if (messageOut == null) {
            message = server.spool().workFile(queueId != null ? queueId : (queueId = QueueIds.next()), ".milter");
            messageOut = new BufferedOutputStream(Files.newOutputStream(message), 65536);
        }
        size += b.length;
        if (size > server.maxMessageSize()) {
            tooBig = true;
            return;
        }
        messageOut.write(b);
    }

    private void endOfMessage() throws IOException {
        if (messageOut != null) {
            messageOut.close();
            messageOut = null;
        }
        if (headerTooBig) {
            log.warn("{}: milter: header section over {} bytes; rejected", queueId, MAX_HEADER);
            replyCode(Outcome.HEADER_TOO_LARGE);
            return;
        }
        if (tooBig) {
            log.warn("{}: milter: message over {} bytes; rejected", queueId, server.maxMessageSize());
            replyCode(SmtpReply.of(552, "5.3.4", "Error: message too large"));
            return;
        }
        if (recipients.isEmpty() || mailFrom == null) {
            // Fail closed: every recipient the MTA keeps went through RCPT here, so this is a protocol surprise.
            log.warn("{}milter: end of message without sender or recipients known to mailseal; tempfail", prefix());
            reply(MilterPacket.TEMPFAIL);
            return;
        }
        if (message == null) {
            message = server.spool().workFile(queueId, ".milter");
        }
        MailItem item = new MailItem(queueId, session(), mailFrom, recipients, message, started);
        List<RecipientResult> results;
        try {
            log.info("{}: milter: from=<{}>, size={}, nrcpt={}", queueId, mailFrom.sender(), Files.size(message), recipients.size());
            results = server.flow().run(item);
        } catch (RuntimeException e) {
            log.error("{}: milter: internal error; tempfail", queueId, e);
            server.deferred(queueId);
            reply(MilterPacket.TEMPFAIL);
            return;
        }
        for (RecipientResult r : results) {
            log.info("{}: to=<{}>, relay=milter, status={} ({})", queueId, r.recipient().address(), status(r.outcome()), r.outcome().reply().oneLine());
        }
        answer(item, results);
    }

    private static String status(Outcome o) {
        return switch (o.kind()) {
            case DELIVERED -> "changed in place";
            case QUARANTINE -> "quarantined";
            case REJECT -> "rejected";
            case DEFER, CONTINUE -> "deferred";
        };
    }

    /** One answer for the whole message: the MTA holds one copy for all its recipients. */
    private void answer(MailItem original, List<RecipientResult> results) throws IOException {
        Outcome.Kind kind = results.get(0).outcome().kind();
        boolean same = results.stream().allMatch(r -> r.outcome().kind() == kind);
        if (!same || kind == Outcome.Kind.DEFER || kind == Outcome.Kind.CONTINUE) {
            RecipientResult deferred = results.stream().filter(r -> r.outcome().kind() == Outcome.Kind.DEFER).findFirst().orElse(null);
            if (!same) {
                log.warn("{}: milter: recipients ended differently ({}); tempfail, the MTA retries", queueId,
                        results.stream().map(r -> r.recipient() + "=" + status(r.outcome())).toList());
            }
            server.deferred(queueId); // undo what this attempt claimed (replay cache): the MTA retries
            replyCode(deferred != null ? deferred.outcome().reply() : SmtpReply.of(451, "4.3.0", "Error: internal error, try again later"));
            return;
        }
        switch (kind) {
            case REJECT -> replyCode(results.get(0).outcome().reply());
            case QUARANTINE -> {
                // mailseal holds it, sealed; the MTA must not deliver (or keep a readable copy of) it.
                log.info("{}: milter: quarantined by mailseal; the MTA discards its copy, mta_queue_id={}", queueId,
                        LogSafe.text(macros.getOrDefault("i", "?")));
                reply(MilterPacket.DISCARD);
            }
            default -> putInPlace(original, results);
        }
    }

    private void putInPlace(MailItem original, List<RecipientResult> results) throws IOException {
        MailItem final0 = results.get(0).item();
        Path result = final0.content();
        if (results.stream().anyMatch(r -> !r.item().content().equals(result))) {
            log.warn("{}: milter: the recipients need different forms; tempfail, the MTA retries", queueId);
            server.deferred(queueId);
            replyCode(SmtpReply.of(451, "4.7.1", "Error: needs separate deliveries; try again later"));
            return;
        }
        MilterEdits edits;
        try {
            edits = MilterEdits.between(original, final0, leadingSpace);
        } catch (IOException e) {
            // Fail closed: the MTA keeps the message and retries; nothing leaves changed halfway.
            log.error("{}: milter: cannot compare the result; tempfail", queueId, e);
            server.deferred(queueId);
            reply(MilterPacket.TEMPFAIL);
            return;
        }
        for (MilterEdits.Change c : edits.changes()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new DataOutputStream(b).writeInt(c.index());
            b.writeBytes(c.name().getBytes(StandardCharsets.ISO_8859_1));
            b.write(0);
            b.writeBytes(c.value());
            b.write(0);
            MilterPacket.write(out, MilterPacket.CHGHEADER, b.toByteArray());
        }
        for (MilterEdits.Field f : edits.additions()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(f.name().getBytes(StandardCharsets.ISO_8859_1));
            b.write(0);
            b.writeBytes(f.value());
            b.write(0);
            MilterPacket.write(out, MilterPacket.ADDHEADER, b.toByteArray());
        }
        if (edits.replaceBody()) {
            try (InputStream in = final0.openBody()) {
                byte[] chunk = new byte[65535];
                int n;
                while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
                    MilterPacket.write(out, MilterPacket.REPLBODY, java.util.Arrays.copyOf(chunk, n));
                }
            }
        }
        log.info("{}: milter: {} header change(s), {} added, body {}, mta_queue_id={}", queueId, edits.changes().size(),
                edits.additions().size(), edits.replaceBody() ? "replaced" : "unchanged", LogSafe.text(macros.getOrDefault("i", "?")));
        reply(MilterPacket.ACCEPT);
    }

    private void reply(char code) throws IOException {
        MilterPacket.write(out, code, new byte[0]);
    }

    private void replyCode(SmtpReply r) throws IOException {
        MilterPacket.write(out, MilterPacket.REPLYCODE, MilterPacket.strings(r.oneLine()));
    }

    private void resetMessage() {
        recipients.clear();
        form = null;
        headerBytes = 0;
        size = 0;
        tooBig = false;
        headerTooBig = false;
        mailFrom = null;
        try {
            if (messageOut != null) {
                messageOut.close();
            }
        } catch (IOException e) {
            log.warn("{}cannot close the milter message file: {}", prefix(), e.getMessage());
        }
        messageOut = null;
        message = null;
        if (queueId != null) {
            server.spool().cleanWork(queueId);
        }
    }
}
