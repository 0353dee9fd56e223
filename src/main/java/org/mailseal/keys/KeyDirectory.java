package org.mailseal.keys;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.mail.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the OpenPGP certificate to encrypt to for an address, validated at the moment of use (a key
 * that expired since import is not used), and generates gateway-managed keys.
 */
public final class KeyDirectory {

    private static final Logger log = LoggerFactory.getLogger("keys");

    private final PgpKeyStore store;
    private final MasterKey masterKey;
    private final PgpKeys.Algo generateAlgo;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    /** {@code masterKey} null: an encrypt-only install that holds no private keys. */
    public KeyDirectory(PgpKeyStore store, MasterKey masterKey, PgpKeys.Algo generateAlgo) {
        this.store = store;
        this.masterKey = masterKey;
        this.generateAlgo = generateAlgo;
    }

    public PgpKeyStore store() {
        return store;
    }

    private Pkcs11Token token;
    private TokenKeys tokenKeys;

    /** Generate new keys inside a PKCS#11 token instead of sealing them in the store. */
    public KeyDirectory useToken(Pkcs11Token t, TokenKeys tk) {
        this.token = t;
        this.tokenKeys = tk;
        return this;
    }

    // An RSA-3072 key pair that never leaves the token, certified by the token itself; the holder
    // certificate exists only because a PKCS#11 key entry needs one.
    private PgpKeys.ValidCert generateInToken(String email) throws KeyStoreException, SQLException, IOException {
        try {
            java.security.KeyPair kp = token.generateRsa(3072);
            org.bouncycastle.openpgp.PGPPublicKeyRing ring = PgpKeys.certifyTokenKey(kp, token.provider(), email);
            java.security.cert.X509Certificate holder = org.mailseal.crypto.smime.CertificateAuthority.createCa(kp,
                    "mailseal OpenPGP key " + email, java.time.Duration.ofDays(36500));
            String alias = token.store(kp.getPrivate(), new java.security.cert.X509Certificate[] {holder});
            PgpKeys.ValidCert v = store.putCert(ring, true, List.of(email));
            tokenKeys.put(v.fingerprint(), TokenKeys.Kind.PGP, alias);
            log.info("generated rsa3072 key {} in the PKCS#11 token for {}", v.fingerprint(), email);
            return v;
        } catch (java.security.GeneralSecurityException | PGPException e) {
            throw new KeyStoreException("key generation in the PKCS#11 token failed for " + email + ": " + e.getMessage());
        }
    }

    private final RecentLookups<Optional<PgpKeys.ValidCert>> recent = new RecentLookups<>();

    /** The newest usable certificate for {@code email}, if any; the answer is reused for up to a second. */
    public Optional<PgpKeys.ValidCert> find(String email) throws SQLException, IOException {
        String norm = Address.normalise(email);
        Optional<PgpKeys.ValidCert> known = recent.recent(norm);
        return known != null ? known : recent.remember(norm, lookUp(norm));
    }

    /** Forgets what {@link #find} answered for {@code email}: this process just changed its keys. */
    public void forget(String email) {
        recent.forget(Address.normalise(email));
    }

    private Optional<PgpKeys.ValidCert> lookUp(String email) throws SQLException, IOException {
        for (PGPPublicKeyRing ring : store.certsFor(email)) {
            try {
                return Optional.of(PgpKeys.validate(ring, Address.normalise(email), Instant.now()));
            } catch (KeyStoreException e) {
                log.info("{}: stored key not usable: {}", email, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Generates, stores and returns a gateway-managed key for {@code email} (once, even under concurrency). */
    public PgpKeys.ValidCert generate(String email) throws KeyStoreException, SQLException, IOException {
        if (!Address.isPlainAddrSpec(email)) {
            throw new KeyStoreException("cannot generate a key for a quoted or routing address");
        }
        if (token != null) {
            String norm = Address.normalise(email);
            synchronized (locks.computeIfAbsent(norm, k -> new Object())) {
                Optional<PgpKeys.ValidCert> existing = lookUp(norm);
                if (existing.isPresent()) {
                    return existing.get();
                }
                PgpKeys.ValidCert made = generateInToken(norm);
                forget(norm);
                return made;
            }
        }
        if (masterKey == null) {
            throw new KeyStoreException("cannot generate a key for " + email + ": no master passphrase configured (keys.masterPassphraseFile or MAILSEAL_MASTER_PASSPHRASE)");
        }
        String norm = Address.normalise(email);
        synchronized (locks.computeIfAbsent(norm, k -> new Object())) {
            Optional<PgpKeys.ValidCert> existing = lookUp(norm);
            if (existing.isPresent()) {
                return existing.get();
            }
            // Across the nodes of a cluster: one claims the address, the others wait for its key.
            for (long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30); !claim(norm); ) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KeyStoreException("interrupted while another node generates a key for " + email);
                }
                forget(norm);
                existing = lookUp(norm);
                if (existing.isPresent()) {
                    return existing.get();
                }
                if (System.nanoTime() > until) {
                    throw new KeyStoreException("another node is still generating a key for " + email);
                }
            }
            try {
                existing = lookUp(norm); // made by another node between our look and our claim
                if (existing.isPresent()) {
                    return existing.get();
                }
                return generateClaimed(email, norm);
            } finally {
                store.releaseGeneration(norm);
            }
        }
    }

    private boolean claim(String norm) throws SQLException {
        return store.claimGeneration(norm, java.time.Duration.ofMinutes(1));
    }

    private PgpKeys.ValidCert generateClaimed(String email, String norm) throws KeyStoreException, SQLException, IOException {
        PGPSecretKeyRing secret;
        try {
            secret = PgpKeys.generate(norm, null, generateAlgo);
        } catch (PGPException e) {
            throw new KeyStoreException("key generation failed for " + email + ": " + e.getMessage());
        }
        PgpKeys.ValidCert v = store.putCert(PgpKeys.publicRing(secret), true, List.of(norm));
        store.putSecret(v.fingerprint(), secret, masterKey);
        forget(norm);
        log.info("generated {} key {} for {}", v.algorithm(), v.fingerprint(), norm);
        return v;
    }
}
