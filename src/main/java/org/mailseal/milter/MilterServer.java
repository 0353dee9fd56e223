package org.mailseal.milter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.mailseal.config.HostPort;
import org.mailseal.policy.RecipientDecider;
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

    private final RecipientDecider decider;
    private final RelayAccess access;
    private final Spool spool;
    private final ServerSocket listener;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "milter");
        t.setDaemon(true);
        return t;
    });

    public MilterServer(HostPort listen, RecipientDecider decider, RelayAccess access, Spool spool, org.mailseal.keys.StorageSeal seal)
            throws IOException {
        this.seal = seal;
        this.decider = decider;
        this.access = access;
        this.spool = spool;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(listen.host(), listen.port()), 64);
        Thread t = new Thread(this::accept, "milter-accept");
        t.setDaemon(true);
        t.start();
        log.info("milter listening on {}", listener.getLocalSocketAddress());
    }

    private final org.mailseal.keys.StorageSeal seal;

    org.mailseal.keys.StorageSeal seal() {
        return seal;
    }

    RecipientDecider decider() {
        return decider;
    }

    RelayAccess access() {
        return access;
    }

    Spool spool() {
        return spool;
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
