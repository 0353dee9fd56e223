package org.mailseal.bridge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.mailseal.config.Bridge;
import org.mailseal.config.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decrypting IMAP bridge's listeners (config {@code bridge:}): {@code listen} with STARTTLS and, if set,
 * {@code listenTls} with implicit TLS (RFC 8314). One thread per client session, at most
 * {@link #MAX_SESSIONS}; each session has its own connection to the cloud mailbox.
 */
public final class BridgeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("bridge");
    static final int MAX_SESSIONS = 200;

    private final Bridge config;
    private final SSLContext tls;
    private final Account account;
    private final int maxLiteral;
    private final long idlePollMillis;
    private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bridge");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger open = new AtomicInteger();
    private ServerSocket plain;
    private ServerSocket implicit;

    public BridgeServer(Bridge config, SSLContext tls, Account account, int maxLiteral, long idlePollMillis) {
        this.config = config;
        this.tls = tls;
        this.account = account;
        this.maxLiteral = maxLiteral;
        this.idlePollMillis = idlePollMillis;
    }

    public BridgeServer start() throws IOException {
        plain = bind(new ServerSocket(), config.listen());
        accept(plain, false);
        if (config.listenTls() != null) {
            implicit = bind(tls.getServerSocketFactory().createServerSocket(), config.listenTls());
            accept(implicit, true);
        }
        log.info("IMAP bridge listening on {}:{}{} -> {}", config.listen().host(), port(), implicit != null ? " and TLS on " + tlsPort() : "",
                config.upstream());
        return this;
    }

    private static ServerSocket bind(ServerSocket s, HostPort at) throws IOException {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(at.host(), at.port()), 64);
        return s;
    }

    private void accept(ServerSocket server, boolean implicitTls) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    if (open.incrementAndGet() > MAX_SESSIONS) {
                        open.decrementAndGet();
                        s.getOutputStream().write("* BYE too many sessions; try again later\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        s.close();
                        continue;
                    }
                    if (implicitTls) {
                        ((javax.net.ssl.SSLSocket) s).setUseClientMode(false);
                    }
                    sessions.execute(() -> {
                        try {
                            new ImapSession(s, implicitTls ? null : tls, account, config.allowPlainLogin(), maxLiteral, idlePollMillis).run();
                        } finally {
                            open.decrementAndGet();
                        }
                    });
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        log.warn("bridge: accept failed: {}", e.getMessage());
                    }
                }
            }
        }, "bridge-accept");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return plain.getLocalPort();
    }

    public int tlsPort() {
        return implicit == null ? -1 : implicit.getLocalPort();
    }

    @Override
    public void close() {
        for (ServerSocket s : new ServerSocket[] {plain, implicit}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
        sessions.shutdownNow();
    }
}
