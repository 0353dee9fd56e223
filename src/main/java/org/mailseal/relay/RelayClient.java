package org.mailseal.relay;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import org.mailseal.config.NextHop;
import org.mailseal.config.Relay;
import org.mailseal.config.TlsPolicy;
import org.mailseal.dns.DnsResolver;
import org.mailseal.https.HttpsGet;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.SessionInfo;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.transport.DaneTrustManager;
import org.mailseal.transport.MtaStsClient;
import org.mailseal.transport.TlsReports;
import org.mailseal.transport.TransportSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one message to one next hop for a group of recipients, over ESMTP. Passes the envelope on
 * (SIZE, BODY=8BITMIME, SMTPUTF8, DSN RET/ENVID/NOTIFY/ORCPT, XFORWARD where offered), pipelines MAIL
 * and RCPT where PIPELINING is offered (RFC 2920), streams the body from disk with dot-stuffing
 * (RFC 5321 §4.5.2), and reuses connections.
 */
public final class RelayClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("relay");

    private final Relay cfg;
    private final String heloName;
    private final MxResolver resolver;
    private final ConnectionPool pool;
    private final ClientTls tls;
    private final TransportSecurity security;
    private final ScheduledExecutorService watchdog;

    private final TlsReports reports;

    /**
     * {@code dns}: the gateway's resolver (MX, TLSA and MTA-STS lookups); {@code reports}: TLS-RPT counts, or
     * null; {@code policies}: where MTA-STS policies are kept beyond the process.
     */
    public RelayClient(Relay cfg, String heloName, DnsResolver dns, TlsReports reports, org.mailseal.transport.MtaStsClient.PolicyStore policies)
            throws IOException, GeneralSecurityException {
        this.cfg = cfg;
        this.reports = reports;
        this.heloName = cfg.heloName() != null ? cfg.heloName() : heloName;
        this.resolver = new MxResolver(dns);
        this.security = new TransportSecurity(dns, new MtaStsClient(dns,
                new HttpsGet(dns, HttpsGet.trusting(cfg.trustAnchors()), java.time.Duration.ofSeconds(20), cfg.mtaStsPort()), java.time.Clock.systemUTC(), policies));
        this.pool = new ConnectionPool(cfg.maxIdlePerRoute(), cfg.idleTimeout());
        this.tls = new ClientTls(cfg.trustAnchors());
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /** The envelope and content of one delivery. */
    public record Message(String queueId, SessionInfo session, MailFrom from, List<RcptTo> recipients, Path content) {
    }

    /**
     * Delivers {@code msg} through {@code hop}. Returns one result per recipient, in order. Never throws:
     * every failure becomes a 4xx (or, where final, 5xx) result.
     */
    public List<RelayResult> deliver(Message msg, NextHop hop, TlsPolicy policy, Deadline deadline) {
        String domain = msg.recipients().get(0).recipient().domainLower();
        List<MxResolver.Target> targets;
        try {
            targets = resolver.resolve(hop, domain);
        } catch (ResolveException e) {
            return all(msg, e.reply(), "none");
        }
        SmtpReply lastError = SmtpReply.of(451, "4.4.1", "Error: no next hop reachable");
        String lastRelay = "none";
        // DANE and MTA-STS speak for the domain whose MX records were looked up (RFC 7672 §2.2, RFC 8461 §4)
        String policyDomain = hop.mxLookup() && !(hop.recipientDomain() ? domain : hop.host()).startsWith("[")
                ? (hop.recipientDomain() ? domain : hop.host().toLowerCase(java.util.Locale.ROOT)) : null;
        for (MxResolver.Target t : targets) {
            TransportSecurity.Plan plan;
            try {
                plan = security.plan(policy, policyDomain, t.host(), t.address().getPort(), t.secure());
            } catch (TransportSecurity.Refused r) {
                lastRelay = t.host() + "[" + t.address().getAddress().getHostAddress() + "]:" + t.address().getPort();
                if (reports != null) {
                    reports.failure(policyDomain, r.type, r.policy, t.host(), t.address().getAddress().getHostAddress(), r.resultType, r.getMessage());
                }
                lastError = SmtpReply.of(451, "4.7.5", "Error: " + r.getMessage());
                log.info("{}: {}: not used: {}", msg.queueId(), lastRelay, r.getMessage());
                continue;
            }
            // A pooled connection is reused only under the same protection for the same host name.
            String key = t.address() + "|" + t.host() + "|" + plan.mode();
            ClientConnection conn = pool.borrow(key);
            boolean reused = conn != null;
            try {
                if (conn == null) {
                    conn = connect(t, plan, deadline);
                }
            } catch (HopFailure f) {
                lastError = f.reply;
                lastRelay = f.relay;
                log.info("{}: connect to {}: {}", msg.queueId(), f.relay, f.reply.oneLine());
                continue;
            }
            try {
                return transaction(conn, key, msg, deadline, reused);
            } catch (StaleConnection s) {
                conn.close();
                try {
                    ClientConnection fresh = connect(t, plan, deadline);
                    return transaction(fresh, key, msg, deadline, false);
                } catch (HopFailure f) {
                    lastError = f.reply;
                    lastRelay = f.relay;
                } catch (StaleConnection impossible) {
                    lastError = SmtpReply.of(451, "4.4.2", "Error: lost connection with " + t.host());
                }
            }
        }
        return all(msg, lastError, lastRelay);
    }

    private static List<RelayResult> all(Message msg, SmtpReply reply, String relay) {
        return Collections.nCopies(msg.recipients().size(), new RelayResult(reply, relay));
    }

    /** A connection-level failure before any transaction: try the next address. */
    private static final class HopFailure extends Exception {
        final SmtpReply reply;
        final String relay;

        HopFailure(SmtpReply reply, String relay) {
            super(reply.oneLine(), null, false, false);
            this.reply = reply;
            this.relay = relay;
        }
    }

    /** A pooled connection turned out dead before MAIL: safe to retry on a fresh one. */
    private static final class StaleConnection extends Exception {
        StaleConnection() {
            super(null, null, false, false);
        }
    }

    private ClientConnection connect(MxResolver.Target t, TransportSecurity.Plan plan, Deadline deadline) throws HopFailure {
        String relay = t.host() + "[" + t.address().getAddress().getHostAddress() + "]:" + t.address().getPort();
        TransportSecurity.Mode mode = plan.mode();
        ClientConnection c;
        try {
            c = ClientConnection.open(t.address(), t.host(), deadline.cap(cfg.connectTimeout()));
        } catch (IOException e) {
            throw new HopFailure(SmtpReply.of(451, "4.4.1", "Error: connect to " + relay + ": " + e.getMessage()), relay);
        }
        try {
            c.setTimeout(deadline.cap(cfg.commandTimeout()));
            SmtpReply greeting = c.readReply();
            if (greeting.code() != 220) {
                c.quit();
                throw new HopFailure(hopReply(greeting, relay, "greeting"), relay);
            }
            SmtpReply ehlo = c.hello(heloName);
            if (ehlo.code() != 250) {
                c.quit();
                throw new HopFailure(hopReply(ehlo, relay, "EHLO"), relay);
            }
            if (mode != TransportSecurity.Mode.NONE) {
                String needs = mode.requiresTls() ? " (" + plan.why() + ")" : "";
                if (c.has("STARTTLS")) {
                    c.send("STARTTLS");
                    SmtpReply r = c.readReply();
                    if (r.code() == 220) {
                        DaneTrustManager dane = mode == TransportSecurity.Mode.DANE
                                ? new DaneTrustManager(plan.tlsa(), plan.policyDomain() != null ? List.of(t.host(), plan.policyDomain()) : List.of(t.host()))
                                : null;
                        boolean pkix = mode == TransportSecurity.Mode.VERIFY || mode == TransportSecurity.Mode.STS_ENFORCE
                                || mode == TransportSecurity.Mode.STS_TESTING;
                        try {
                            c.startTls(dane != null ? ClientTls.with(dane) : pkix ? tls.verifying() : tls.opportunistic(), pkix);
                        } catch (SSLException e) {
                            c.close();
                            if (mode == TransportSecurity.Mode.MAY) {
                                // RFC 7435: opportunistic TLS falls back to plaintext after a failed handshake
                                log.info("TLS handshake with {} failed ({}); retrying without TLS", relay, e.getMessage());
                                report(plan, t, resultType(e));
                                return connect(t, TransportSecurity.Plan.of(TlsPolicy.NONE), deadline);
                            }
                            if (mode == TransportSecurity.Mode.STS_TESTING) {
                                // RFC 8461 §5: in testing mode a failure is reported, and the mail still goes
                                log.info("MTA-STS testing: certificate of {} not valid ({}); delivering with unverified TLS", relay, e.getMessage());
                                report(plan, t, resultType(e));
                                return connect(t, plan.withMode(TransportSecurity.Mode.MAY), deadline);
                            }
                            report(plan, t, dane != null ? "validation-failure" : resultType(e));
                            throw new HopFailure(SmtpReply.of(451, "4.7.5", "Error: TLS handshake with " + relay + " failed" + needs + ": " + e.getMessage()), relay);
                        }
                        String trust = dane != null ? "Verified (" + dane.matched() + ")" : pkix ? "Verified" : "Untrusted";
                        log.info("{} TLS connection established to {}: {} ({})", trust, relay, c.tls(), plan.why());
                        if (reports != null && plan.type() != null) {
                            reports.success(plan.policyDomain(), plan.type(), plan.policy(), t.host());
                        }
                        SmtpReply again = c.hello(heloName);
                        if (again.code() != 250) {
                            c.quit();
                            throw new HopFailure(hopReply(again, relay, "EHLO after STARTTLS"), relay);
                        }
                    } else if (mode.requiresTls()) {
                        c.quit();
                        report(plan, t, "starttls-not-supported");
                        throw new HopFailure(SmtpReply.of(451, "4.7.4", "Error: " + relay + " refused STARTTLS" + needs + ": " + r.oneLine()), relay);
                    }
                } else if (mode.requiresTls() || mode == TransportSecurity.Mode.STS_TESTING || (mode == TransportSecurity.Mode.MAY && plan.type() != null)) {
                    report(plan, t, "starttls-not-supported");
                }
                if (c.tls() == null && mode.requiresTls()) {
                    c.quit();
                    // TLS required by policy and not offered: never send in clear (fail closed)
                    throw new HopFailure(SmtpReply.of(451, "4.7.4", "Error: TLS is required" + needs + ", but was not offered by host " + relay), relay);
                }
            }
            return c;
        } catch (IOException e) {
            c.close();
            throw new HopFailure(SmtpReply.of(451, "4.4.2", "Error: lost connection with " + relay + " during setup: " + describe(e)), relay);
        }
    }

    /** Counts a failed session for TLS-RPT, where the plan speaks for a recipient domain. */
    private void report(TransportSecurity.Plan plan, MxResolver.Target t, String resultType) {
        if (reports != null && plan.type() != null) {
            reports.failure(plan.policyDomain(), plan.type(), plan.policy(), t.host(), t.address().getAddress().getHostAddress(), resultType, plan.why());
        }
    }

    /** RFC 8460 §4.3.1: the result type of a failed certificate check. */
    private static String resultType(SSLException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return "certificate-host-mismatch";
        }
        if (m.contains("expired") || m.contains("NotAfter")) {
            return "certificate-expired";
        }
        return "certificate-not-trusted";
    }

    /**
     * A pooled connection idle longer than this is checked with RSET before reuse; one used a moment ago is
     * not (the check would cost a round trip per message). If the next hop dropped it anyway, the MAIL
     * command finds out before anything was accepted, and the transaction starts again on a new connection.
     */
    static final long PROBE_AFTER_IDLE_NANOS = TimeUnit.SECONDS.toNanos(2);

    // A reused connection the next hop is closing (421 to MAIL) is stale, not a verdict on this message.
    private static SmtpReply answered(SmtpReply mailReply, boolean reused, ClientConnection c) throws StaleConnection {
        if (reused && mailReply.code() == 421) {
            c.close();
            throw new StaleConnection();
        }
        return mailReply;
    }

    private List<RelayResult> transaction(ClientConnection c, String key, Message msg, Deadline deadline, boolean reused)
            throws StaleConnection {
        String relay = c.describe();
        ScheduledFuture<?> dog = watchdog.schedule(c::close, Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
        boolean mailAnswered = false;
        try {
            c.setTimeout(deadline.cap(cfg.commandTimeout()));
            if (reused && c.idleNanos() > PROBE_AFTER_IDLE_NANOS) {
                try {
                    c.send("RSET");
                    if (c.readReply().code() != 250) {
                        throw new StaleConnection();
                    }
                } catch (IOException e) {
                    throw new StaleConnection();
                }
            }
            long size = Files.size(msg.content());
            boolean utf8 = msg.from().smtputf8() || msg.from().sender().isUtf8()
                    || msg.recipients().stream().anyMatch(r -> r.recipient().isUtf8());
            if (utf8 && !c.has("SMTPUTF8")) {
                release(key, c);
                return all(msg, SmtpReply.of(550, "5.6.7", "Error: SMTPUTF8 is required, but was not offered by host " + relay), relay);
            }
            Long limit = c.sizeLimit();
            if (limit != null && limit > 0 && size > limit) {
                release(key, c);
                return all(msg, SmtpReply.of(552, "5.3.4", "Error: message size " + size + " exceeds size limit " + limit + " of " + relay), relay);
            }
            sendXforward(c, msg);
            boolean pipelining = c.has("PIPELINING");
            c.send(mailCommand(c, msg.from(), size, utf8));
            SmtpReply mailReply = pipelining ? null : answered(c.readReply(), reused, c);
            mailAnswered = !pipelining;
            List<SmtpReply> rcptReplies = new ArrayList<>();
            for (RcptTo r : msg.recipients()) {
                c.send(rcptCommand(c, r));
                if (!pipelining) {
                    if (mailReply.code() != 250) {
                        break;
                    }
                    rcptReplies.add(c.readReply());
                }
            }
            if (pipelining) {
                if (sendsXforward(c, msg)) {
                    readXforwardReplies(c);
                }
                mailReply = answered(c.readReply(), reused, c);
                mailAnswered = true;
                for (int i = 0; i < msg.recipients().size(); i++) {
                    rcptReplies.add(c.readReply());
                }
            }
            if (mailReply.code() != 250) {
                resetAndRelease(key, c);
                return all(msg, hopReply(mailReply, relay, "MAIL FROM"), relay);
            }
            List<RelayResult> results = new ArrayList<>();
            boolean any = false;
            for (SmtpReply r : rcptReplies) {
                any |= r.code() == 250 || r.code() == 251;
                results.add(new RelayResult(r.isPositive() ? null : hopReply(r, relay, "RCPT TO"), relay));
            }
            if (!any) {
                resetAndRelease(key, c);
                return results;
            }
            c.send("DATA");
            SmtpReply go = c.readReply();
            if (go.code() != 354) {
                resetAndRelease(key, c);
                return fill(results, go.isPositive() ? SmtpReply.of(451, "4.4.2", "Error: unexpected DATA reply from " + relay) : hopReply(go, relay, "DATA"), relay);
            }
            c.setTimeout(deadline.cap(cfg.dataDoneTimeout()));
            try (InputStream in = Files.newInputStream(msg.content())) {
                writeDotStuffed(in, c.dataStream());
            }
            c.send(".");
            SmtpReply done = c.readReply();
            release(key, c);
            return fill(results, done.isPositive() ? SmtpReply.of(250, "2.0.0", "Ok: relayed to " + relay + " (" + done.oneLine() + ")")
                    : hopReply(done, relay, "end of DATA"), relay);
        } catch (StaleConnection s) {
            throw s;
        } catch (IOException e) {
            c.close();
            if (reused && !mailAnswered) {
                throw new StaleConnection(); // nothing was accepted yet: safe to try again on a fresh connection
            }
            SmtpReply r = SmtpReply.of(451, "4.4.2", "Error: lost connection with " + relay + ": " + describe(e)
                    + (deadline.expired() ? " (delivery deadline exceeded)" : ""));
            return all(msg, r, relay);
        } finally {
            dog.cancel(false);
        }
    }

    private static List<RelayResult> fill(List<RelayResult> rcptResults, SmtpReply dataReply, String relay) {
        List<RelayResult> out = new ArrayList<>();
        for (RelayResult r : rcptResults) {
            out.add(r.reply() == null ? new RelayResult(dataReply, relay) : r);
        }
        return out;
    }

    private void resetAndRelease(String key, ClientConnection c) {
        try {
            c.send("RSET");
            if (c.readReply().code() == 250) {
                release(key, c);
                return;
            }
        } catch (IOException ignored) {
            // drop it
        }
        c.close();
    }

    private void release(String key, ClientConnection c) {
        pool.release(key, c);
    }

    // Postfix XFORWARD_README: tell the next hop who the original client was.
    private static void sendXforward(ClientConnection c, Message msg) throws IOException {
        if (!sendsXforward(c, msg)) {
            return;
        }
        SessionInfo s = msg.session();
        var x = s.xforward();
        String name = x.name() != null ? x.name() : s.clientName();
        String addr = x.addr() != null ? x.addr() : s.clientAddress().getHostAddress();
        String helo = x.helo() != null ? x.helo() : s.helo();
        String proto = x.proto() != null ? x.proto() : (s.esmtp() ? "ESMTP" : "SMTP");
        String source = x.source() != null ? x.source() : (s.clientAddress().isLoopbackAddress() ? "LOCAL" : "REMOTE");
        c.send("XFORWARD NAME=" + xtext(name) + " ADDR=" + xtext(addr) + " PROTO=" + xtext(proto));
        c.send("XFORWARD HELO=" + xtext(helo == null ? "[UNAVAILABLE]" : helo) + " IDENT=" + xtext(msg.queueId())
                + " SOURCE=" + source);
        if (!c.has("PIPELINING")) {
            readXforwardReplies(c);
        } // else read with MAIL's and RCPT's replies: one round trip for the lot (as Postfix's smtp client does)
    }

    private static void readXforwardReplies(ClientConnection c) throws IOException {
        c.readReply();
        c.readReply();
    }

    private static boolean sendsXforward(ClientConnection c, Message msg) {
        return c.has("XFORWARD") && msg.session() != null;
    }

    private static String mailCommand(ClientConnection c, MailFrom f, long size, boolean utf8) {
        StringBuilder sb = new StringBuilder("MAIL FROM:<").append(f.sender()).append('>');
        if (c.has("SIZE")) {
            sb.append(" SIZE=").append(size);
        }
        if (f.body() == MailFrom.Body.EIGHT_BIT_MIME && c.has("8BITMIME")) {
            sb.append(" BODY=8BITMIME");
        }
        if (utf8) {
            sb.append(" SMTPUTF8");
        }
        if (c.has("DSN")) { // RFC 3461 §4: only where the next hop offers DSN
            if (f.ret() != null) {
                sb.append(" RET=").append(f.ret().name());
            }
            if (f.envid() != null) {
                sb.append(" ENVID=").append(f.envid());
            }
        }
        return sb.toString();
    }

    private static String rcptCommand(ClientConnection c, RcptTo r) {
        StringBuilder sb = new StringBuilder("RCPT TO:<").append(r.recipient()).append('>');
        if (c.has("DSN")) {
            if (!r.notifyOn().isEmpty()) {
                sb.append(" NOTIFY=").append(r.notifyOn().stream().map(Enum::name).sorted().collect(Collectors.joining(",")));
            }
            if (r.orcpt() != null) {
                sb.append(" ORCPT=").append(r.orcpt());
            }
        }
        return sb.toString();
    }

    /** RFC 5321 §4.5.2: a line that starts with "." gets another; the data ends with CRLF before the ".". */
    static void writeDotStuffed(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[65536];
        boolean lineStart = true;
        int last = '\n';
        int n;
        while ((n = in.read(buf)) > 0) {
            if (lineStart && buf[0] == '.') {
                out.write('.'); // a line that began in the previous read
            }
            int from = 0;
            for (int i = 0; i < n - 1; i++) {
                if (buf[i] == '\n' && buf[i + 1] == '.') { // RFC 5321 §4.5.2: a line starting with "." gets one more
                    out.write(buf, from, i + 1 - from);
                    out.write('.');
                    from = i + 1;
                }
            }
            out.write(buf, from, n - from);
            last = buf[n - 1];
            lineStart = last == '\n';
        }
        if (last != '\n') {
            out.write('\r');
            out.write('\n');
        }
    }

    /** A next hop's reply, passed back with its code and who said it. */
    static SmtpReply hopReply(SmtpReply r, String relay, String stage) {
        String text = "host " + relay + " said: " + String.join(" ", r.lines()) + " (in reply to " + stage + ")";
        // 421 from the next hop must not reach our client as "closing channel"; it is a plain 451 here.
        int code = r.code() < 400 || r.code() == 421 ? 451 : r.code();
        String enhanced = r.enhanced();
        if (enhanced == null || enhanced.charAt(0) != String.valueOf(code).charAt(0)) {
            enhanced = code >= 500 ? "5.0.0" : "4.0.0";
        }
        return SmtpReply.of(code, enhanced, text);
    }

    private static String describe(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (e instanceof EOFException) {
            return "connection closed";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String xtext(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < '!' || c > '~' || c == '+' || c == '=') {
                sb.append('+').append(String.format("%02X", c));
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        pool.close();
        watchdog.shutdownNow();
    }
}
