package org.mailseal.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mailseal.dns.DnsResolver;
import org.mailseal.https.HttpsGet;

/**
 * Finds a recipient domain's MTA-STS policy (RFC 8461 §5): the TXT record at {@code _mta-sts.<domain>},
 * then {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}, fetched with PKIX validation and never
 * following a redirect (§3.3). Policies are cached by domain until {@code max_age} runs out and refetched
 * only when the TXT record's id changes (§5.1). While a policy is cached, a missing TXT record, a failed
 * lookup or a failed fetch keep it in force: an attacker who blocks DNS or HTTPS gets no downgrade.
 * The cache is kept in memory in front of a {@link PolicyStore} (the store's {@link MtaStsPolicies}), so a
 * policy stays in force across a restart and on every node.
 */
public final class MtaStsClient {

    /** What was found for a domain; {@code policy} null when none applies, {@code problem} for TLS-RPT. */
    public record Lookup(MtaStsPolicy policy, String id, String problem) {
    }

    private record Cached(MtaStsPolicy policy, String id, Instant expires) {
    }

    /** A policy as kept: its text as fetched, the TXT record's id, and when its max_age runs out. */
    public record Stored(String text, String id, Instant expires) {
    }

    /** Where policies outlive the process. */
    public interface PolicyStore {
        java.util.Optional<Stored> load(String domain);

        void save(String domain, Stored policy);

        void remove(String domain);

        /** Nothing kept beyond the process (tests, tools). */
        PolicyStore NONE = new PolicyStore() {
            @Override
            public java.util.Optional<Stored> load(String domain) {
                return java.util.Optional.empty();
            }

            @Override
            public void save(String domain, Stored policy) {
            }

            @Override
            public void remove(String domain) {
            }
        };
    }

    private final DnsResolver dns;
    private final HttpsGet http;
    private final Clock clock;
    private final PolicyStore store;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public MtaStsClient(DnsResolver dns, HttpsGet http, Clock clock, PolicyStore store) {
        this.dns = dns;
        this.http = http;
        this.clock = clock;
        this.store = store;
    }

    /** The policy cached for {@code d}: in memory, else the stored one (parsed again), if any. */
    private Cached cached(String d) {
        Cached c = cache.get(d);
        if (c != null) {
            return c;
        }
        java.util.Optional<Stored> s = store.load(d);
        if (s.isEmpty()) {
            return null;
        }
        try {
            c = new Cached(MtaStsPolicy.parse(s.get().text()), s.get().id(), s.get().expires());
        } catch (IllegalArgumentException bad) {
            store.remove(d); // written by a version that read policies differently: fetched again
            return null;
        }
        cache.put(d, c);
        return c;
    }

    public Lookup policyFor(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        Instant now = clock.instant();
        Cached c = cached(d);
        if (c != null && !c.expires().isAfter(now)) {
            cache.remove(d);
            store.remove(d);
            c = null;
        }
        DnsResolver.Answer<String> txt = dns.txt("_mta-sts." + d);
        String id = null;
        if (txt.status() == DnsResolver.Status.FOUND) {
            List<String> ids = txt.records().stream().filter(r -> r.strip().startsWith("v=STSv1")).map(MtaStsPolicy::txtId).toList();
            id = ids.size() == 1 ? ids.get(0) : null; // §3.1: more than one record is as if none
        }
        if (id == null) {
            // §5.1: without a valid TXT record a cached policy stays in force until it expires
            return c != null ? new Lookup(c.policy(), c.id(), null)
                    : new Lookup(null, null, txt.status() == DnsResolver.Status.TEMPERROR ? "TXT lookup failed: " + txt.reason() : null);
        }
        if (c != null && c.id().equals(id)) {
            return new Lookup(c.policy(), id, null);
        }
        try {
            byte[] body = http.get("mta-sts." + d, "/.well-known/mta-sts.txt");
            MtaStsPolicy p = MtaStsPolicy.parse(new String(body, StandardCharsets.UTF_8));
            if (cache.size() > 10_000) {
                cache.clear();
            }
            cache.put(d, new Cached(p, id, now.plus(p.maxAge())));
            store.save(d, new Stored(p.text(), id, now.plus(p.maxAge())));
            return new Lookup(p, id, null);
        } catch (IllegalArgumentException bad) {
            return c != null ? new Lookup(c.policy(), c.id(), null) : new Lookup(null, id, "sts-policy-invalid: " + bad.getMessage());
        } catch (IOException failed) {
            return c != null ? new Lookup(c.policy(), c.id(), null) : new Lookup(null, id, "sts-policy-fetch-error: " + failed.getMessage());
        }
    }
}
