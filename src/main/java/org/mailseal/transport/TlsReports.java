package org.mailseal.transport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * SMTP TLS reporting (RFC 8460): what the relay client saw of each recipient domain's TLS policy, counted per
 * UTC day and written as the report JSON of §4.4 to {@code <dataDir>/tls-rpt/<day>/<domain>.json}. The
 * counts are kept in memory and the files rewritten (atomically) by {@link #flush()}, which the gateway
 * calls every minute and at shutdown; a crash loses at most the last minute's counts. {@link TlsReportSender}
 * mails finished days to the domains' {@code rua} addresses, where configured.
 */
public final class TlsReports {

    /** RFC 8460 §4.4 policy-type. */
    public enum PolicyType {
        TLSA("tlsa"), STS("sts"), NO_POLICY_FOUND("no-policy-found");

        final String word;

        PolicyType(String word) {
            this.word = word;
        }
    }

    private record Key(LocalDate day, String domain, PolicyType type, List<String> policy) {
    }

    private record FailureKey(String resultType, String mxHost, String ip, String info) {
    }

    private static final class Counts {
        final AtomicLong ok = new AtomicLong();
        final Map<FailureKey, AtomicLong> failures = new ConcurrentHashMap<>();
        final Set<String> mx = java.util.Collections.synchronizedSet(new TreeSet<>());
    }

    private final Path dir;
    private final String organization;
    private final Clock clock;
    private final Map<Key, Counts> counts = new ConcurrentHashMap<>();
    private final Set<Key> dirty = ConcurrentHashMap.newKeySet();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public TlsReports(Path dataDir, String organization, Clock clock) {
        this.dir = dataDir.resolve("tls-rpt");
        this.organization = organization;
        this.clock = clock;
    }

    public Path dir() {
        return dir;
    }

    /** A session that negotiated TLS as the policy demands. */
    public void success(String domain, PolicyType type, List<String> policy, String mxHost) {
        Counts c = counts(domain, type, policy);
        c.ok.incrementAndGet();
        c.mx.add(mxHost);
    }

    /** A session (or a host not tried) that failed the policy: {@code resultType} as in RFC 8460 §4.3. */
    public void failure(String domain, PolicyType type, List<String> policy, String mxHost, String ip, String resultType, String info) {
        Counts c = counts(domain, type, policy);
        c.mx.add(mxHost);
        String cut = info == null ? null : info.length() > 200 ? info.substring(0, 200) : info;
        c.failures.computeIfAbsent(new FailureKey(resultType, mxHost, ip, cut), k -> new AtomicLong()).incrementAndGet();
    }

    private Counts counts(String domain, PolicyType type, List<String> policy) {
        LocalDate day = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        if (seeded.add(day + "/" + domain)) {
            seed(day, domain);
        }
        Key k = new Key(day, domain, type, List.copyOf(policy));
        dirty.add(k);
        return counts.computeIfAbsent(k, x -> new Counts());
    }

    private final Set<String> seeded = ConcurrentHashMap.newKeySet();

    /** Counts a previous run wrote for {@code day} carry on (a restart must not reset the day's report). */
    @SuppressWarnings("unchecked")
    private void seed(LocalDate day, String domain) {
        Path f = dir.resolve(day.toString()).resolve(domain + ".json");
        if (!Files.isRegularFile(f)) {
            return;
        }
        try {
            Map<String, Object> report = json.readValue(f.toFile(), Map.class);
            for (Map<String, Object> entry : (List<Map<String, Object>>) report.get("policies")) {
                Map<String, Object> policy = (Map<String, Object>) entry.get("policy");
                PolicyType type = java.util.Arrays.stream(PolicyType.values()).filter(t -> t.word.equals(policy.get("policy-type")))
                        .findFirst().orElse(PolicyType.NO_POLICY_FOUND);
                List<String> strings = (List<String>) policy.getOrDefault("policy-string", List.of());
                Counts c = counts.computeIfAbsent(new Key(day, domain, type, List.copyOf(strings)), x -> new Counts());
                c.mx.addAll((List<String>) policy.getOrDefault("mx-host", List.of()));
                Map<String, Object> summary = (Map<String, Object>) entry.get("summary");
                c.ok.addAndGet(((Number) summary.get("total-successful-session-count")).longValue());
                for (Map<String, Object> d : (List<Map<String, Object>>) entry.getOrDefault("failure-details", List.of())) {
                    c.failures.computeIfAbsent(new FailureKey((String) d.get("result-type"), (String) d.get("receiving-mx-hostname"),
                            (String) d.get("receiving-ip"), (String) d.get("additional-information")), x -> new AtomicLong())
                            .addAndGet(((Number) d.get("failed-session-count")).longValue());
                }
            }
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger("tlsrpt").warn("{}: unreadable, starting the day's counts again: {}", f, e.getMessage());
        }
    }

    /** Rewrites the report files of every domain whose counts changed; forgets days that are over and written. */
    public synchronized void flush() throws IOException {
        Set<String> files = new TreeSet<>();
        for (Key k : new ArrayList<>(dirty)) {
            dirty.remove(k);
            files.add(k.day() + "/" + k.domain());
        }
        for (String f : files) {
            LocalDate day = LocalDate.parse(f.substring(0, f.indexOf('/')));
            String domain = f.substring(f.indexOf('/') + 1);
            write(day, domain);
        }
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        counts.keySet().removeIf(k -> k.day().isBefore(today) && !dirty.contains(k));
    }

    private void write(LocalDate day, String domain) throws IOException {
        List<Map<String, Object>> policies = new ArrayList<>();
        for (Map.Entry<Key, Counts> e : counts.entrySet()) {
            Key k = e.getKey();
            if (!k.day().equals(day) || !k.domain().equals(domain)) {
                continue;
            }
            Counts c = e.getValue();
            Map<String, Object> policy = new LinkedHashMap<>();
            policy.put("policy-type", k.type().word);
            if (!k.policy().isEmpty()) {
                policy.put("policy-string", k.policy());
            }
            policy.put("policy-domain", domain);
            synchronized (c.mx) {
                policy.put("mx-host", new ArrayList<>(c.mx));
            }
            long failed = c.failures.values().stream().mapToLong(AtomicLong::get).sum();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("policy", policy);
            entry.put("summary", Map.of("total-successful-session-count", c.ok.get(), "total-failure-session-count", failed));
            List<Map<String, Object>> details = new ArrayList<>();
            c.failures.forEach((fk, n) -> {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("result-type", fk.resultType());
                if (fk.ip() != null) {
                    d.put("receiving-ip", fk.ip());
                }
                d.put("receiving-mx-hostname", fk.mxHost());
                d.put("failed-session-count", n.get());
                if (fk.info() != null) {
                    d.put("additional-information", fk.info());
                }
                details.add(d);
            });
            if (!details.isEmpty()) {
                entry.put("failure-details", details);
            }
            policies.add(entry);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("organization-name", organization);
        report.put("date-range", Map.of("start-datetime", day + "T00:00:00Z", "end-datetime", day + "T23:59:59Z"));
        report.put("contact-info", "postmaster@" + organization);
        report.put("report-id", day + "_" + domain + "@" + organization);
        report.put("policies", policies);
        Path out = Files.createDirectories(dir.resolve(day.toString())).resolve(domain + ".json");
        Path tmp = out.resolveSibling(domain + ".json.tmp");
        json.writeValue(tmp.toFile(), report);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
