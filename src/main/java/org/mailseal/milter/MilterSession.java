package org.mailseal.milter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.HeaderProtection;
import org.mailseal.mime.RawHeader;
import org.mailseal.pipeline.Direction;
import org.mailseal.pipeline.EncryptStage;
import org.mailseal.pipeline.Recipient;
import org.mailseal.pipeline.Treatment;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.smtp.Address;
import org.mailseal.smtp.RcptTo;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.QueueIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One milter connection from Postfix or Sendmail. Decides per recipient at RCPT time; at end of message
 * encrypts the one copy in place (headers changed, body replaced). A milter cannot split a message, so
 * recipients that would need another form than the first are answered 451 at RCPT (the MTA retries them
 * as a separate delivery), with a log line that says to use the content filter for such mail.
 */
final class MilterSession implements Runnable {

    private static final Logger log = LoggerFactory.getLogger("milter");
    private static final int MAX_HEADERS_BYTES = 4 * 1024 * 1024;

    private final Socket socket;
    private final MilterServer server;
    private DataOutputStream out;

    private final Map<String, String> macros = new HashMap<>();
    private String queueId;
    private final List<Recipient> recipients = new ArrayList<>();
    private final List<RecipientDecider.Decision> decisions = new ArrayList<>();
    private String group;
    private final ByteArrayOutputStream header = new ByteArrayOutputStream();
    private boolean headerTooBig;
    private Path body;
    private OutputStream bodyOut;

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
            log.info("{}milter connection ended: {}", prefix(), e.getMessage());
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
            case MilterPacket.OPTNEG -> {
                ByteBuffer b = ByteBuffer.wrap(p.data());
                int version = b.getInt();
                int actions = b.getInt();
                int protocol = b.getInt();
                if (version < 6) {
                    throw new IOException("milter protocol version " + version + " is too old (need 6)");
                }
                ByteBuffer r = ByteBuffer.allocate(12);
                r.putInt(MilterPacket.VERSION);
                r.putInt(actions & (MilterPacket.SMFIF_ADDHDRS | MilterPacket.SMFIF_CHGBODY | MilterPacket.SMFIF_CHGHDRS));
                r.putInt(protocol & MilterPacket.SMFIP_HDR_LEADSPC);
                MilterPacket.write(out, MilterPacket.OPTNEG, r.array());
            }
            case MilterPacket.MACRO -> { // a command code byte, then name\0value\0 pairs; no reply
                if (p.data().length > 0) {
                    List<String> kv = new MilterPacket(p.command(), java.util.Arrays.copyOfRange(p.data(), 1, p.data().length)).strings();
                    for (int i = 0; i + 1 < kv.size(); i += 2) {
                        macros.put(kv.get(i).replace("{", "").replace("}", ""), kv.get(i + 1));
                    }
                }
            }
            case MilterPacket.CONNECT, MilterPacket.HELO, MilterPacket.DATA, MilterPacket.UNKNOWN, MilterPacket.EOH -> reply(MilterPacket.CONTINUE);
            case MilterPacket.MAIL -> {
                resetMessage();
                queueId = QueueIds.next();
                log.info("{}: milter: from={}, mta_queue_id={}", queueId, first(p), macros.getOrDefault("i", "?"));
                reply(MilterPacket.CONTINUE);
            }
            case MilterPacket.RCPT -> rcpt(p);
            case MilterPacket.HEADER -> {
                List<String> nv = p.strings();
                String name = nv.get(0);
                String value = nv.size() > 1 ? nv.get(1) : "";
                if (header.size() >= MAX_HEADERS_BYTES) {
                    headerTooBig = true;
                } else {
                    // SMFIP_HDR_LEADSPC: the value keeps its leading space; Postfix sends folded lines with LF.
                    header.writeBytes((name + ":" + value.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.UTF_8));
                }
                reply(MilterPacket.CONTINUE);
            }
            case MilterPacket.BODY -> {
                if (bodyOut == null) {
                    body = server.spool().workFile(queueId != null ? queueId : QueueIds.next(), ".milter");
                    bodyOut = new BufferedOutputStream(Files.newOutputStream(body), 65536);
                }
                bodyOut.write(p.data());
                reply(MilterPacket.CONTINUE);
            }
            case MilterPacket.BODYEOB -> {
                endOfMessage();
                resetMessage();
            }
            case MilterPacket.ABORT -> resetMessage();
            case MilterPacket.QUIT_NC -> {
                resetMessage();
                macros.clear();
            }
            default -> reply(MilterPacket.CONTINUE);
        }
    }

    private static String first(MilterPacket p) {
        List<String> s = p.strings();
        return s.isEmpty() ? "" : s.get(0);
    }

    private void rcpt(MilterPacket p) throws IOException {
        String arg = first(p);
        String addr = arg.startsWith("<") && arg.endsWith(">") ? arg.substring(1, arg.length() - 1) : arg;
        Address a;
        try {
            a = Address.parse(addr);
        } catch (IllegalArgumentException e) {
            reply(MilterPacket.CONTINUE); // the MTA judges syntax
            return;
        }
        SmtpReply routing = server.access().checkLocalPart(a);
        if (routing != null) {
            log.info("{}: to=<{}>, reject: {}", queueId, a, routing.oneLine());
            replyCode(routing);
            return;
        }
        RecipientDecider.Decision d;
        try {
            d = server.access().isLocal(a) ? server.decider().decide(queueId, a) : new RecipientDecider.Plain("outbound");
        } catch (Exception e) {
            log.error("{}: to=<{}>, policy failed; tempfail", queueId, a, e);
            replyCode(SmtpReply.of(451, "4.3.0", "<" + a + ">: internal error, try again later"));
            return;
        }
        if (d instanceof RecipientDecider.Refuse f) {
            replyCode(f.reply());
            return;
        }
        if (group == null) {
            group = d.groupKey();
        } else if (!group.equals(d.groupKey())) {
            log.warn("{}: to=<{}>, tempfail: this recipient needs another form ({}) than the others ({}); a milter cannot split a message"
                    + " - use the content filter (mailseal postfix-config) for such mail", queueId, a, d.groupKey(), group);
            replyCode(SmtpReply.of(451, "4.7.1", "<" + a + ">: needs a separate delivery; try again later"));
            return;
        }
        recipients.add(new Recipient(RcptTo.of(a), Direction.INBOUND, recipients.size()));
        decisions.add(d);
        reply(MilterPacket.CONTINUE);
    }

    private void endOfMessage() throws IOException {
        if (bodyOut != null) {
            bodyOut.close();
        }
        if (headerTooBig) {
            // Never encrypt (or pass) a message whose header we could not keep whole.
            log.warn("{}: milter: header section over {} bytes; rejected", queueId, MAX_HEADERS_BYTES);
            replyCode(SmtpReply.of(552, "5.3.4", "Error: message header too large"));
            return;
        }
        if (group == null || group.equals("plain") || recipients.isEmpty()) {
            log.info("{}: milter: not encrypted ({})", queueId, group == null ? "no recipients decided" : "policy");
            reply(MilterPacket.ACCEPT);
            return;
        }
        Path encrypted = null;
        header.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII)); // end of the header section
        try (InputStream message = new java.io.SequenceInputStream(new ByteArrayInputStream(header.toByteArray()),
                body != null ? new BufferedInputStream(Files.newInputStream(body), 65536) : InputStream.nullInputStream())) {
            RawHeader h = RawHeader.read(message, MAX_HEADERS_BYTES + 2);
            byte[] firstBody = message.readNBytes(65536);
            if (EncryptionDetector.detect(h, new ByteArrayInputStream(firstBody)) != EncryptionDetector.Kind.NONE) {
                log.info("{}: milter: already encrypted; passed through untouched", queueId);
                reply(MilterPacket.ACCEPT);
                return;
            }
            encrypted = server.spool().workFile(queueId, ".milter-enc");
            String method;
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(encrypted), 65536)) {
                method = EncryptStage.encrypt(treatment(), h, new java.io.SequenceInputStream(new ByteArrayInputStream(firstBody), message), o, server.seal());
            }
            apply(h, encrypted);
            log.info("{}: milter: encrypted ({}) in place for {}, mta_queue_id={}", queueId, method, recipients, macros.getOrDefault("i", "?"));
            reply(MilterPacket.ACCEPT);
        } catch (Exception e) {
            // Fail closed: the MTA keeps the message and retries; nothing leaves in plaintext.
            log.error("{}: milter: encryption failed; tempfail", queueId, e);
            reply(MilterPacket.TEMPFAIL);
        } finally {
            if (encrypted != null) {
                Files.deleteIfExists(encrypted);
            }
        }
    }

    private Treatment treatment() {
        RecipientDecider.Decision d0 = decisions.get(0);
        if (d0 instanceof RecipientDecider.Pgp g0) {
            List<Treatment.Keyed> keys = new ArrayList<>();
            for (int i = 0; i < recipients.size(); i++) {
                RecipientDecider.Pgp g = (RecipientDecider.Pgp) decisions.get(i);
                keys.add(new Treatment.Keyed(recipients.get(i), g.cert(), g.why()));
            }
            return new Treatment.EncryptPgp(keys, g0.outer());
        }
        RecipientDecider.Smime s0 = (RecipientDecider.Smime) d0;
        List<Treatment.Certified> certs = new ArrayList<>();
        for (int i = 0; i < recipients.size(); i++) {
            RecipientDecider.Smime s = (RecipientDecider.Smime) decisions.get(i);
            certs.add(new Treatment.Certified(recipients.get(i), s.cert(), s.why()));
        }
        return new Treatment.EncryptSmime(certs, s0.outer(), s0.gcm());
    }

    /**
     * Turns the original header into the outer one (hcp_baseline, as {@link HeaderProtection} does) with
     * CHGHEADER/ADDHEADER, and replaces the body with SMFIR_REPLBODY chunks of at most 65535 bytes.
     */
    private void apply(RawHeader original, Path encrypted) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(encrypted), 65536)) {
            RawHeader outer = RawHeader.read(in, MAX_HEADERS_BYTES * 2);
            Map<String, Integer> index = new HashMap<>();
            for (RawHeader.Field f : original.fields()) {
                if (f.name().isEmpty()) {
                    continue;
                }
                String key = f.name().toLowerCase(Locale.ROOT);
                int i = index.merge(key, 1, Integer::sum); // CHGHEADER counts occurrences of a name from 1
                boolean structural = HeaderProtection.isStructural(f);
                if (structural || key.equals("keywords") || key.equals("comments")) {
                    chgHeader(i, f.name(), "");
                } else if (key.equals("subject")) {
                    chgHeader(i, f.name(), " " + outer.value("Subject"));
                }
            }
            for (RawHeader.Field f : outer.fields()) {
                if (HeaderProtection.isStructural(f)) {
                    MilterPacket.write(out, MilterPacket.ADDHEADER, MilterPacket.strings(f.name(), " " + f.value()));
                }
            }
            byte[] chunk = new byte[65535];
            int n;
            while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
                MilterPacket.write(out, MilterPacket.REPLBODY, java.util.Arrays.copyOf(chunk, n));
            }
        }
    }

    private void chgHeader(int index, String name, String value) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        new DataOutputStream(b).writeInt(index);
        b.writeBytes(MilterPacket.strings(name, value));
        MilterPacket.write(out, MilterPacket.CHGHEADER, b.toByteArray());
    }

    private void reply(char code) throws IOException {
        MilterPacket.write(out, code, new byte[0]);
    }

    private void replyCode(SmtpReply r) throws IOException {
        MilterPacket.write(out, MilterPacket.REPLYCODE, MilterPacket.strings(r.oneLine()));
    }

    private void resetMessage() {
        recipients.clear();
        decisions.clear();
        group = null;
        header.reset();
        headerTooBig = false;
        try {
            if (bodyOut != null) {
                bodyOut.close();
            }
            if (body != null) {
                Files.deleteIfExists(body);
            }
        } catch (IOException e) {
            log.warn("{}cannot remove milter body file: {}", prefix(), e.getMessage());
        }
        bodyOut = null;
        body = null;
    }
}
