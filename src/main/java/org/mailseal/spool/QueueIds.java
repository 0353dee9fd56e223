package org.mailseal.spool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Short queue ids in the style of Postfix's: 12 upper-case hex digits, from the time in microseconds
 * mixed with a counter, unique within one process and, across restarts, in practice.
 */
public final class QueueIds {
    private static final AtomicLong last = new AtomicLong();

    private QueueIds() {
    }

    public static String next() {
        long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        long id = last.updateAndGet(prev -> Math.max(prev + 1, now));
        return String.format("%012X", id & 0xFFFFFFFFFFFFL);
    }
}
