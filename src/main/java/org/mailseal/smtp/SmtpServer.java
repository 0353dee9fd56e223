package org.mailseal.smtp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening SMTP or LMTP server: one thread per session, at most {@code maxConnections} at once
 * (more get {@code 421 4.3.2} at once, as Postfix's smtpd does when its process limit is reached).
 */
public final class SmtpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("smtpd");

    private final SmtpSettings settings;
    private final MailHandler handler;
    private final Set<SmtpSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final Anvil anvil;
    private final ExecutorService workers;
    private ServerSocket listener;
    private Thread acceptor;
    private volatile boolean draining;

    public SmtpServer(SmtpSettings settings, MailHandler handler) {
        this.settings = settings;
        this.handler = handler;
        this.anvil = new Anvil(settings.clientLimits());
        String name = settings.lmtp() ? "lmtpd" : "smtpd";
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(tf);
    }

    SmtpSettings settings() {
        return settings;
    }

    MailHandler handler() {
        return handler;
    }

    Anvil anvil() {
        return anvil;
    }

    boolean isDraining() {
        return draining;
    }

    /** Sessions open right now. */
    public int activeSessions() {
        return active.get();
    }

    /** Binds and starts accepting. */
    public SmtpServer start() throws IOException {
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(settings.listen().host(), settings.listen().port()), 128);
        acceptor = new Thread(this::acceptLoop, (settings.lmtp() ? "lmtpd" : "smtpd") + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        log.info("{} listening on {}", settings.lmtp() ? "LMTP" : "SMTP", localAddress());
        return this;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!draining) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!draining) {
                    log.error("accept failed: {}", e.getMessage());
                }
                return;
            }
            try {
                s.setTcpNoDelay(true);
            } catch (SocketException ignored) {
                // not fatal
            }
            if (active.incrementAndGet() > settings.maxConnections()) {
                active.decrementAndGet();
                refuse(s, SmtpReply.of(421, "4.3.2", settings.hostname() + " Error: too many connections, try again later"),
                        "too many connections (" + settings.maxConnections() + " active)");
                continue;
            }
            Anvil.Refusal why = anvil.connect(s.getInetAddress());
            if (why != null) {
                active.decrementAndGet();
                refuse(s, switch (why) {
                    case TOO_MANY_CONNECTIONS -> SmtpReply.of(421, "4.7.0", settings.hostname() + " Error: too many connections from "
                            + s.getInetAddress().getHostAddress());
                    case RATE -> SmtpReply.of(421, "4.7.0", settings.hostname() + " Error: too many connections from "
                            + s.getInetAddress().getHostAddress() + " per minute");
                    case AUTH_BACKOFF -> SmtpReply.of(421, "4.7.0", settings.hostname() + " Error: too many authentication failures; try later");
                }, switch (why) {
                    case TOO_MANY_CONNECTIONS -> "connection count limit " + settings.clientLimits().maxConnectionsPerClient();
                    case RATE -> "connection rate limit " + settings.clientLimits().connectionRatePerMinute() + "/min";
                    case AUTH_BACKOFF -> "AUTH failure back-off";
                });
                continue;
            }
            SmtpSession session = new SmtpSession(this, s);
            sessions.add(session);
            workers.execute(session);
        }
    }

    private void refuse(Socket s, SmtpReply reply, String why) {
        log.warn("refusing connection from [{}]: {}", s.getInetAddress().getHostAddress(), why);
        try (Socket sock = s) {
            sock.setSoTimeout(2000);
            OutputStream o = sock.getOutputStream();
            o.write(reply.toWire());
            o.flush();
        } catch (IOException ignored) {
            // gone already
        }
    }

    void sessionEnded(SmtpSession s) {
        if (sessions.remove(s)) {
            active.decrementAndGet();
            anvil.disconnect(s.clientAddress());
        }
    }

    /**
     * Stops accepting, lets transactions in flight finish for up to {@code grace}, tells idle clients 421,
     * then closes whatever is left. A client cut off that way never got a 250, so it keeps the mail.
     */
    public void shutdown(Duration grace) {
        draining = true;
        try {
            if (listener != null) {
                listener.close();
            }
        } catch (IOException ignored) {
            // closing
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!sessions.isEmpty()) {
            log.warn("shutdown: closing {} sessions still open after {} s", sessions.size(), grace.toSeconds());
            sessions.forEach(SmtpSession::forceClose);
        }
        workers.shutdownNow();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
