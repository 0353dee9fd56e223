package org.mailseal.relay;

import java.time.Duration;

/** A point in time by which a delivery must be done; phases use what is left of it. */
public record Deadline(long nanos) {

    public static Deadline in(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos());
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    /** The smaller of {@code phase} and what is left, at least 1 ms. */
    public Duration cap(Duration phase) {
        Duration r = remaining();
        Duration d = r.compareTo(phase) < 0 ? r : phase;
        return d.isZero() ? Duration.ofMillis(1) : d;
    }

    public boolean expired() {
        return System.nanoTime() >= nanos;
    }
}
