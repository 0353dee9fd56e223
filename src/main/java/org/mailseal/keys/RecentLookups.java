package org.mailseal.keys;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Lookups by address (keys, certificates, policies) remembered for one second, so a burst of mail to
 * one recipient does not query and validate the store per message. A change made elsewhere (the CLI,
 * another gateway on the same database) takes effect within {@link #TTL_NANOS}; a change made through
 * this process {@link #forget forgets} the address at once. Bounded: past {@code MAX} addresses it starts
 * over.
 *
 * @param <V> the looked-up value (an empty Optional is remembered too)
 */
public final class RecentLookups<V> {

    /** How long an answer is reused. */
    public static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX = 10_000;

    private record Entry<V>(V value, long expires) {
    }

    private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();

    /** The answer remembered for {@code key} within the last second, or null. */
    public V recent(String key) {
        Entry<V> e = entries.get(key);
        return e != null && System.nanoTime() - e.expires() < 0 ? e.value() : null;
    }

    /** Remembers a fresh answer for {@code key} and returns it. */
    public V remember(String key, V value) {
        if (entries.size() >= MAX) {
            entries.clear();
        }
        entries.put(key, new Entry<>(value, System.nanoTime() + TTL_NANOS));
        return value;
    }

    public void forget(String key) {
        entries.remove(key);
    }
}
