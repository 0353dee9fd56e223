package org.mailseal.policy;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.mailseal.config.GenerateFor;

/**
 * Who may get a generated key, and how fast: a key is made only for a recipient mailseal knows exists
 * ({@link KnownUsers}, or {@link GenerateFor} patterns), and at most {@code perMinute} keys a minute
 * across the gateway, so one message with many invented recipients cannot fill the key store.
 */
public final class KeyGenerationGate {

    /** Whether an address belongs to a user of the store (a login or a registered address). */
    public interface KnownUsers {
        boolean exists(String address) throws SQLException;

        /** Knows nobody: only {@code generateFor} patterns qualify. */
        KnownUsers NONE = a -> false;
    }

    /** Why a key is not generated, or null when it may be. */
    public enum Refusal { UNKNOWN_RECIPIENT, RATE_LIMITED }

    private final KnownUsers known;
    private final int perMinute;
    private final Deque<Long> recent = new ArrayDeque<>();

    public KeyGenerationGate(KnownUsers known, int perMinute) {
        this.known = known;
        this.perMinute = perMinute;
    }

    /** Checks, and on success counts, one generation for {@code email} (normalised, local@domain). */
    public Refusal admit(String email, GenerateFor rule) throws SQLException {
        return admit(email, rule, false);
    }

    /** As {@link #admit(String, GenerateFor)}; a {@code preview} uses up nothing of the rate. */
    public Refusal admit(String email, GenerateFor rule, boolean preview) throws SQLException {
        if (!org.mailseal.mail.Address.isPlainAddrSpec(email)) {
            return Refusal.UNKNOWN_RECIPIENT; // never for quoted or routing local parts
        }
        String local = email.substring(0, email.lastIndexOf('@'));
        if (!rule.allows(local, known.exists(email))) {
            return Refusal.UNKNOWN_RECIPIENT;
        }
        long now = System.nanoTime();
        synchronized (recent) {
            while (!recent.isEmpty() && now - recent.peekFirst() > 60_000_000_000L) {
                recent.removeFirst();
            }
            if (perMinute > 0 && recent.size() >= perMinute) {
                return Refusal.RATE_LIMITED;
            }
            if (!preview) {
                recent.addLast(now);
            }
        }
        return null;
    }
}
