package org.mailseal.relay;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Idle connections to next hops, kept for reuse (like Postfix's scache): at most {@code maxIdle} per
 * key, each dropped after {@code idleTimeout}. A reused connection is checked with RSET before use.
 */
final class ConnectionPool implements AutoCloseable {

    private final int maxIdle;
    private final long idleNanos;
    private final Map<String, Deque<ClientConnection>> idle = new HashMap<>();

    ConnectionPool(int maxIdle, Duration idleTimeout) {
        this.maxIdle = maxIdle;
        this.idleNanos = idleTimeout.toNanos();
    }

    /** An idle connection for {@code key}, or null. */
    ClientConnection borrow(String key) {
        while (true) {
            ClientConnection c;
            synchronized (this) {
                Deque<ClientConnection> q = idle.get(key);
                c = q == null ? null : q.pollFirst();
            }
            if (c == null) {
                return null;
            }
            if (c.idleNanos() < idleNanos) {
                return c;
            }
            c.quit();
        }
    }

    /** Returns a connection in a clean state (no transaction open). */
    void release(String key, ClientConnection c) {
        c.touch();
        synchronized (this) {
            Deque<ClientConnection> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (q.size() < maxIdle) {
                q.addFirst(c);
                return;
            }
        }
        c.quit();
    }

    @Override
    public void close() {
        Map<String, Deque<ClientConnection>> all;
        synchronized (this) {
            all = new HashMap<>(idle);
            idle.clear();
        }
        all.values().forEach(q -> q.forEach(ClientConnection::quit));
    }
}
