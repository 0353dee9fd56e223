package org.mailseal.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing at the web login: after {@link #LIMIT} failures for one user, or {@link #LIMIT_IP}
 * from one client address (many users may share one, behind a NAT), within {@link #WINDOW}, further attempts
 * are refused until the window has passed since the last failure. A success clears the user's count (not
 * the address's).
 */
public final class LoginThrottle {

    static final int LIMIT = 5;
    static final int LIMIT_IP = 20;
    static final Duration WINDOW = Duration.ofMinutes(15);

    private record Failures(int count, Instant last) {
    }

    private final Map<String, Failures> failures = new ConcurrentHashMap<>();
    private final Clock clock;

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Whether a login for {@code user} from {@code ip} may be tried now. */
    public boolean allowed(String user, String ip) {
        return ok("u:" + user, LIMIT) && ok("ip:" + ip, LIMIT_IP);
    }

    private boolean ok(String key, int limit) {
        Failures f = failures.get(key);
        if (f == null) {
            return true;
        }
        if (Duration.between(f.last(), clock.instant()).compareTo(WINDOW) > 0) {
            failures.remove(key);
            return true;
        }
        return f.count() < limit;
    }

    public void failed(String user, String ip) {
        if (failures.size() > 100_000) {
            failures.clear();
        }
        Instant now = clock.instant();
        for (String k : new String[] {"u:" + user, "ip:" + ip}) {
            failures.merge(k, new Failures(1, now), (a, b) -> new Failures(a.count() + 1, now));
        }
    }

    public void succeeded(String user) {
        failures.remove("u:" + user);
    }
}
