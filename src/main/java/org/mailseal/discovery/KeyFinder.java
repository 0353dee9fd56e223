package org.mailseal.discovery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.config.Discovery;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.DiscoveredKeys;
import org.mailseal.policy.KeyDiscovery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the discovery sources in the configured order (config {@code discovery.order}) for a recipient's
 * key: the first key found wins. Found keys are cached for {@code cacheFor}, and stored with their source
 * ({@code keys discovered}). When no source has a key and one of them failed (timeout, SERVFAIL, bogus),
 * the answer is a temporary failure, unless a key found within {@code staleFor} is known, in memory or in
 * the store: a failed lookup never turns an encrypted route into a plain one.
 */
public final class KeyFinder implements KeyDiscovery {

    private static final Logger log = LoggerFactory.getLogger("discovery");

    /** One source, named as in {@code discovery.order}. */
    public record Source(String name, KeyDiscovery lookup) {
    }

    private record Cached(Result result, Instant at) {
    }

    private final List<Source> sources;
    private final Discovery config;
    private final DiscoveredKeys store;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public KeyFinder(List<Source> sources, Discovery config, DiscoveredKeys store) {
        this.sources = List.copyOf(sources);
        this.config = config;
        this.store = store;
    }

    @Override
    public Result lookup(String email) {
        String e = email.toLowerCase(Locale.ROOT);
        Instant now = Instant.now();
        Cached c = cache.get(e);
        if (c != null && Duration.between(c.at(), now).compareTo(config.cacheFor()) < 0) {
            return c.result();
        }
        Result failed = null;
        List<String> whyNot = new java.util.ArrayList<>();
        for (Source s : sources) {
            Result r = s.lookup().lookup(e);
            if (r.status() == Status.FOUND) {
                if (cache.size() > 10_000) {
                    cache.clear();
                }
                cache.put(e, new Cached(r, now));
                remember(e, r, now);
                return r;
            }
            if (r.status() == Status.TEMPFAIL && failed == null) {
                failed = r;
            }
            whyNot.add(s.name() + ": " + r.reason());
        }
        if (failed != null) {
            Result stale = stale(e, c, now, failed);
            return stale != null ? stale : failed;
        }
        Result r = new Result(Status.NONE, null, null, whyNot.isEmpty() ? "no discovery source" : String.join("; ", whyNot));
        cache.put(e, new Cached(r, now));
        return r;
    }

    private Result stale(String email, Cached c, Instant now, Result failed) {
        String note = ", cached (lookup failed: " + failed.reason() + ")";
        if (c != null && c.result().status() == Status.FOUND && Duration.between(c.at(), now).compareTo(config.staleFor()) < 0) {
            return new Result(Status.FOUND, c.result().cert(), c.result().smime(), c.result().source() + note, null);
        }
        if (store == null) {
            return null;
        }
        try {
            for (String kind : List.of("openpgp", "smime")) {
                var known = store.latest(email, kind);
                if (known.isEmpty() || Duration.between(known.get().seen(), now).compareTo(config.staleFor()) >= 0) {
                    continue;
                }
                byte[] data = known.get().keyData();
                if (kind.equals("openpgp")) {
                    for (Object o : PgpKeys.readKeyrings(new ByteArrayInputStream(data))) {
                        if (o instanceof PGPPublicKeyRing ring) {
                            return new Result(Status.FOUND, PgpKeys.validate(ring, email, now), null, known.get().source() + note, null);
                        }
                    }
                } else {
                    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(data));
                    SmimeCerts.validateUse(cert, email, now);
                    return new Result(Status.FOUND, null, cert, known.get().source() + note, null);
                }
            }
        } catch (SQLException | IOException | java.security.GeneralSecurityException | org.mailseal.crypto.KeyStoreException | RuntimeException x) {
            log.warn("stored key for <{}> not usable: {}", email, x.getMessage());
        }
        return null;
    }

    private void remember(String email, Result r, Instant now) {
        if (store == null) {
            return;
        }
        try {
            if (r.cert() != null) {
                store.remember(new DiscoveredKeys.Entry(email, "openpgp", r.cert().fingerprint(), r.source(), r.cert().ring().getEncoded(), now));
            } else if (r.smime() != null) {
                store.remember(new DiscoveredKeys.Entry(email, "smime", SmimeCerts.fingerprint(r.smime()), r.source(), r.smime().getEncoded(), now));
            }
        } catch (SQLException | IOException | java.security.cert.CertificateEncodingException x) {
            log.warn("key found for <{}> not stored: {}", email, x.getMessage());
        }
    }

    @Override
    public Pin pinned(String email, String fingerprint) throws IOException {
        if (store == null) {
            throw new IOException("no pin store");
        }
        try {
            var p = store.pinOf(email.toLowerCase(Locale.ROOT));
            return p.isEmpty() ? Pin.PINNED_NOW : p.get().fingerprint().equals(fingerprint) ? Pin.MATCHES : Pin.CHANGED;
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public Pin pin(String email, String fingerprint, String source) throws IOException {
        if (store == null) {
            throw new IOException("no pin store");
        }
        try {
            return switch (store.pin(email.toLowerCase(Locale.ROOT), fingerprint, source)) {
                case PINNED_NOW -> Pin.PINNED_NOW;
                case MATCHES -> Pin.MATCHES;
                case CHANGED -> Pin.CHANGED;
            };
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
