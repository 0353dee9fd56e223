package org.mailseal.milter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.mailseal.config.HostPort;
import org.mailseal.policy.RelayAccess;
import org.mailseal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The milter listener (Postfix {@code smtpd_milters = inet:HOST:PORT}, Sendmail {@code INPUT_MAIL_FILTER}).
 * Our own implementation of the small milter protocol (version 6), rather than jmilter, which drags in
 * an old Netty for what is a few hundred lines over a blocking socket.
 */
public final class MilterServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("milter");

    private final org.mailseal.pipeline.Pipeline flow;
    private final org.mailseal.policy.Decider inbound;
    private final org.mailseal.policy.Decider outbound;
    private final RelayAccess access;
    private final Spool spool;
    private final long maxMessageSize;
    private final java.util.function.Consumer<String> deferred;
    private final ServerSocket listener;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "milter");
        t.setDaemon(true);
        return t;
    });

    /**
     * {@code flow}: MailFlow's milter lane. {@code inbound}, {@code outbound}: the deciders the flow's
     * policy uses, asked at RCPT so recipients that need another form are tempfailed there.
     * {@code deferred}: called with the queue id of a message the MTA is told to retry.
     */
    public MilterServer(HostPort listen, org.mailseal.pipeline.Pipeline flow, org.mailseal.policy.Decider inbound,
                        org.mailseal.policy.Decider outbound, RelayAccess access, Spool spool, long maxMessageSize,
                        java.util.function.Consumer<String> deferred) throws IOException {
        this.flow = flow;
        this.inbound = inbound;
        this.outbound = outbound;
        this.access = access;
        this.spool = spool;
        this.maxMessageSize = maxMessageSize;
        this.deferred = deferred;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(listen.host(), listen.port()), 64);
        Thread t = new Thread(this::accept, "milter-accept");
        t.setDaemon(true);
        t.start();
        log.info("milter listening on {}", listener.getLocalSocketAddress());
    }

    org.mailseal.pipeline.Pipeline flow() {
        return flow;
    }

    org.mailseal.policy.Decider inbound() {
        return inbound;
    }

    org.mailseal.policy.Decider outbound() {
        return outbound;
    }

    RelayAccess access() {
        return access;
    }

    Spool spool() {
        return spool;
    }

    long maxMessageSize() {
        return maxMessageSize;
    }

    void deferred(String queueId) {
        deferred.accept(queueId);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                s.setSoTimeout(600_000);
                workers.execute(new MilterSession(s, this));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.error("milter accept failed: {}", e.getMessage());
                }
                return;
            }
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        workers.shutdownNow();
    }
}
