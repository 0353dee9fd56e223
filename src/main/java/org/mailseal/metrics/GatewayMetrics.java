package org.mailseal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The gateway's counters, histogram and gauges, exported in Prometheus format. */
public final class GatewayMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter received;
    private final Counter relayed;
    private final Counter deferred;
    private final Counter rejected;
    private final Counter encrypted;
    private final Timer deliveryLatency;
    private final AtomicInteger inFlight = new AtomicInteger();

    public GatewayMetrics() {
        received = Counter.builder("mailseal.messages.received").description("Messages whose data was received and spooled").register(registry);
        relayed = Counter.builder("mailseal.recipients.relayed").description("Recipients accepted by the next hop").register(registry);
        deferred = Counter.builder("mailseal.recipients.deferred").description("Recipients answered 4xx").register(registry);
        rejected = Counter.builder("mailseal.recipients.rejected").description("Recipients answered 5xx (after DATA or at RCPT)").register(registry);
        encrypted = Counter.builder("mailseal.recipients.encrypted")
                .description("Recipients accepted by the next hop in a form the gateway encrypted (OpenPGP, S/MIME or PDF)").register(registry);
        deliveryLatency = Timer.builder("mailseal.delivery.latency").description("End of DATA to final reply")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        Gauge.builder("mailseal.transactions.inflight", inFlight, AtomicInteger::get).description("Messages being processed").register(registry);
    }

    /** Registers a gauge of open sessions for one listener. */
    public void sessionsGauge(String listener, Supplier<Number> value) {
        Gauge.builder("mailseal.sessions.active", value).tag("listener", listener).description("Open client sessions").register(registry);
    }

    public void received() {
        received.increment();
    }

    public void relayed() {
        relayed.increment();
    }

    public void deferred() {
        deferred.increment();
    }

    public void rejected() {
        rejected.increment();
    }

    public void encrypted() {
        encrypted.increment();
    }

    /** The message counters now, for the dashboard's history. */
    public record Totals(long received, long relayed, long encrypted, long deferred, long rejected) {
    }

    public Totals totals() {
        return new Totals((long) received.count(), (long) relayed.count(), (long) encrypted.count(), (long) deferred.count(), (long) rejected.count());
    }

    /** Per scanner: its verdicts and the scans that gave none, since start. */
    public record ScannerHealth(String scanner, long verdicts, long errors) {
    }

    public java.util.List<ScannerHealth> scanners() {
        java.util.Map<String, long[]> by = new java.util.TreeMap<>();
        for (Counter c : registry.find("mailseal.scan.verdicts").counters()) {
            by.computeIfAbsent(c.getId().getTag("scanner"), k -> new long[2])[0] += (long) c.count();
        }
        for (Counter c : registry.find("mailseal.scan.errors").counters()) {
            by.computeIfAbsent(c.getId().getTag("scanner"), k -> new long[2])[1] += (long) c.count();
        }
        return by.entrySet().stream().map(e -> new ScannerHealth(e.getKey(), e.getValue()[0], e.getValue()[1])).toList();
    }

    public void latency(Duration d) {
        deliveryLatency.record(d);
    }

    public void beginTransaction() {
        inFlight.incrementAndGet();
    }

    public void endTransaction() {
        inFlight.decrementAndGet();
    }

    /** One scanner's verdict ({@code clean}, {@code virus}, {@code spam}, {@code failed}) and its latency. */
    public void scanned(String scanner, String verdict, Duration took) {
        io.micrometer.core.instrument.Timer.builder("mailseal.scan.latency").tag("scanner", scanner).description("Scan time per message")
                .register(registry).record(took);
        Counter.builder("mailseal.scan.verdicts").tag("scanner", scanner).tag("verdict", verdict).description("Scanner verdicts")
                .register(registry).increment();
        if (verdict.equals("failed")) {
            Counter.builder("mailseal.scan.errors").tag("scanner", scanner).description("Scans that gave no verdict").register(registry).increment();
        }
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
