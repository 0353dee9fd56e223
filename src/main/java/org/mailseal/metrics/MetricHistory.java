package org.mailseal.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The message counters over time, for the dashboard's charts: a sample of {@link GatewayMetrics#totals()}
 * every {@link #STEP} (by the housekeeping), the last day kept in memory; each point of a series is what
 * happened between two samples. This node's figures since its start: a restart begins a new history.
 */
public final class MetricHistory {

    public static final Duration STEP = Duration.ofMinutes(1);
    private static final int KEEP = 24 * 60;

    /** One point: the end of its interval and the counts in it. */
    public record Point(Instant at, GatewayMetrics.Totals counts) {
    }

    private final GatewayMetrics metrics;
    private final Clock clock;
    private final Deque<Point> samples = new ArrayDeque<>();

    public MetricHistory(GatewayMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = clock;
        sample();
    }

    /** Takes a sample now. */
    public synchronized void sample() {
        samples.addLast(new Point(clock.instant(), metrics.totals()));
        while (samples.size() > KEEP + 1) {
            samples.removeFirst();
        }
    }

    /** The points so far, the last one running up to now. */
    public synchronized List<Point> points() {
        List<Point> out = new ArrayList<>();
        Point prev = null;
        List<Point> all = new ArrayList<>(samples);
        all.add(new Point(clock.instant(), metrics.totals()));
        for (Point p : all) {
            if (prev != null) {
                GatewayMetrics.Totals a = prev.counts();
                GatewayMetrics.Totals b = p.counts();
                out.add(new Point(p.at(), new GatewayMetrics.Totals(b.received() - a.received(), b.relayed() - a.relayed(),
                        b.encrypted() - a.encrypted(), b.deferred() - a.deferred(), b.rejected() - a.rejected())));
            }
            prev = p;
        }
        return out;
    }
}
