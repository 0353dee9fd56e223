package org.mailseal.smtp;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client counters for {@link ClientLimits}, shared by a listener's sessions (Postfix anvil(8)).
 * Connection rate and AUTH failures are counted in a sliding one-minute and ten-minute window. A
 * client that reaches the AUTH failure limit is blocked for a back-off that doubles each time (from one
 * minute, at most one hour); while blocked, its connections are answered {@code 421 4.7.0}.
 */
final class Anvil {

    private static final long MINUTE = 60_000_000_000L;
    private static final long AUTH_WINDOW = 10 * MINUTE;
    private static final long MAX_BACKOFF = 60 * MINUTE;

    /** Why a connection is refused, or null. */
    enum Refusal { TOO_MANY_CONNECTIONS, RATE, AUTH_BACKOFF }

    private final ClientLimits limits;
    private final ConcurrentHashMap<InetAddress, Client> clients = new ConcurrentHashMap<>();

    Anvil(ClientLimits limits) {
        this.limits = limits;
    }

    private static final class Client {
        int connections;
        final Deque<Long> connects = new ArrayDeque<>();
        final Deque<Long> authFailures = new ArrayDeque<>();
        long blockedUntil;
        long backoff = MINUTE;
    }

    /** Counts a new connection, or says why it is refused (then nothing is counted). */
    Refusal connect(InetAddress a) {
        if (limits.exempt().test(a)) {
            return null;
        }
        long now = System.nanoTime();
        Refusal[] out = new Refusal[1];
        clients.compute(a, (k, c) -> {
            c = c != null ? c : new Client();
            prune(c.connects, now - MINUTE);
            if (now - c.blockedUntil < 0) {
                out[0] = Refusal.AUTH_BACKOFF;
            } else if (limits.maxConnectionsPerClient() > 0 && c.connections >= limits.maxConnectionsPerClient()) {
                out[0] = Refusal.TOO_MANY_CONNECTIONS;
            } else if (limits.connectionRatePerMinute() > 0 && c.connects.size() >= limits.connectionRatePerMinute()) {
                out[0] = Refusal.RATE;
            } else {
                c.connections++;
                c.connects.addLast(now);
            }
            return c;
        });
        return out[0];
    }

    void disconnect(InetAddress a) {
        if (limits.exempt().test(a)) {
            return;
        }
        long now = System.nanoTime();
        clients.computeIfPresent(a, (k, c) -> {
            c.connections = Math.max(0, c.connections - 1);
            prune(c.connects, now - MINUTE);
            prune(c.authFailures, now - AUTH_WINDOW);
            boolean idle = c.connections == 0 && c.connects.isEmpty() && c.authFailures.isEmpty() && now - c.blockedUntil >= 0;
            return idle ? null : c;
        });
    }

    /** Counts an AUTH failure; true if the client has now reached the limit (and is backed off). */
    boolean authFailed(InetAddress a) {
        if (limits.maxAuthFailures() <= 0 || limits.exempt().test(a)) {
            return false;
        }
        long now = System.nanoTime();
        boolean[] blocked = new boolean[1];
        clients.compute(a, (k, c) -> {
            c = c != null ? c : new Client();
            prune(c.authFailures, now - AUTH_WINDOW);
            c.authFailures.addLast(now);
            if (c.authFailures.size() >= limits.maxAuthFailures()) {
                c.blockedUntil = now + c.backoff;
                c.backoff = Math.min(MAX_BACKOFF, c.backoff * 2);
                c.authFailures.clear();
                blocked[0] = true;
            }
            return c;
        });
        return blocked[0];
    }

    private static void prune(Deque<Long> d, long before) {
        while (!d.isEmpty() && d.peekFirst() - before < 0) {
            d.removeFirst();
        }
    }
}
