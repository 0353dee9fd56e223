package org.mailseal.logging;

import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hands the log lines about messages (those that start with a queue id, Postfix-style) to whoever keeps a
 * mail log: each taker gets its own bounded queue, fed by {@link MailLogAppender}. When a queue is full
 * (the store is slow or down) a line is dropped and counted, never waited for: logging must not hold mail up.
 */
public final class MailLogTap {

    /** One line about one message, escaped as in the log file. */
    public record Line(Instant at, String queueId, String text) {
    }

    /** A queue id (12 upper-case hex digits, see spool.QueueIds) and a colon start the line. */
    private static final Pattern QUEUE_ID = Pattern.compile("^([0-9A-F]{12}): ");
    private static final List<Taker> TAKERS = new CopyOnWriteArrayList<>();

    /** One taker's queue and what it lost. */
    public static final class Taker implements AutoCloseable {
        private final Queue<Line> queue = new ArrayBlockingQueue<>(20_000);
        private final AtomicLong dropped = new AtomicLong();

        public Line poll() {
            return queue.poll();
        }

        /** Lines dropped since the last call, because the queue was full. */
        public long takeDropped() {
            return dropped.getAndSet(0);
        }

        @Override
        public void close() {
            TAKERS.remove(this);
        }
    }

    private MailLogTap() {
    }

    public static Taker take() {
        Taker t = new Taker();
        TAKERS.add(t);
        return t;
    }

    static void offer(Instant at, String message) {
        if (TAKERS.isEmpty() || message == null) {
            return;
        }
        Matcher m = QUEUE_ID.matcher(message);
        if (!m.find()) {
            return;
        }
        String text = LogSafe.text(message);
        Line line = new Line(at, m.group(1), text.length() > 2000 ? text.substring(0, 2000) : text);
        for (Taker t : TAKERS) {
            if (!t.queue.offer(line)) {
                t.dropped.incrementAndGet();
            }
        }
    }
}
