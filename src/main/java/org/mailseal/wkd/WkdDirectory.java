package org.mailseal.wkd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.crypto.pgp.PgpKeys;

/**
 * What the gateway publishes in its Web Key Directory: for each address of a local domain, its current
 * OpenPGP keys (valid now: not expired, not revoked, usable for encryption), each reduced to the user ID
 * that is that address (draft-koch-openpgp-webkey-service §3.1: "only user IDs with that address"),
 * concatenated binary.
 */
public final class WkdDirectory {

    /** The keys known for an address, and the addresses of a domain. */
    public interface Keys {
        List<PGPPublicKeyRing> certsFor(String email) throws Exception;

        List<String> addresses(String domain) throws Exception;
    }

    private final Keys keys;
    private final Set<String> domains;

    public WkdDirectory(Keys keys, Set<String> localDomains) {
        this.keys = keys;
        this.domains = Set.copyOf(localDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
    }

    /** The directory of {@code localDomains} over the key store. */
    public static WkdDirectory of(org.mailseal.keys.PgpKeyStore store, Set<String> localDomains) {
        return new WkdDirectory(new Keys() {
            @Override
            public List<PGPPublicKeyRing> certsFor(String email) throws Exception {
                return store.certsFor(email);
            }

            @Override
            public List<String> addresses(String domain) throws Exception {
                return store.addressesIn(domain);
            }
        }, localDomains);
    }

    public Set<String> domains() {
        return domains;
    }

    /** The binary keys for {@code hash} in {@code domain}, or empty (not a local domain, nobody, no valid key). */
    public Optional<byte[]> lookup(String domain, String hash) throws Exception {
        String d = domain.toLowerCase(Locale.ROOT);
        if (!domains.contains(d)) {
            return Optional.empty();
        }
        for (Map.Entry<String, byte[]> e : entries(d).entrySet()) {
            if (e.getKey().equals(hash)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** Every published hash of {@code domain} with its keys. */
    public Map<String, byte[]> entries(String domain) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        for (String email : keys.addresses(domain)) {
            byte[] k = keysOf(email);
            if (k.length > 0) {
                out.merge(WkdHash.of(email.substring(0, email.lastIndexOf('@'))), k, WkdDirectory::concat);
            }
        }
        return out;
    }

    private byte[] keysOf(String email) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (PGPPublicKeyRing ring : keys.certsFor(email)) {
            try {
                PgpKeys.validate(ring, email, Instant.now());
            } catch (org.mailseal.crypto.KeyStoreException unusable) {
                continue;
            }
            out.writeBytes(onlyUserId(ring, email).getEncoded());
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** {@code ring} with every user ID but {@code email}'s (and their certifications) taken out. */
    /**
     * The first key in {@code data} (binary or armored) that is valid now for {@code email}, reduced to the user
     * ID that is the address: how every key found outside the store (WKD, OPENPGPKEY, key servers) is taken in.
     * Empty when none qualifies.
     */
    public static java.util.Optional<org.mailseal.crypto.pgp.PgpKeys.ValidCert> firstUsable(byte[] data, String email) throws IOException {
        for (Object o : org.mailseal.crypto.pgp.PgpKeys.readKeyrings(new java.io.ByteArrayInputStream(data))) {
            if (o instanceof PGPPublicKeyRing ring) {
                try {
                    return java.util.Optional.of(org.mailseal.crypto.pgp.PgpKeys.validate(onlyUserId(ring, email), email, java.time.Instant.now()));
                } catch (org.mailseal.crypto.KeyStoreException unusable) {
                    // the next key
                }
            }
        }
        return java.util.Optional.empty();
    }

    public static PGPPublicKeyRing onlyUserId(PGPPublicKeyRing ring, String email) throws IOException {
        PGPPublicKey primary = ring.getPublicKey();
        List<String> others = new ArrayList<>();
        for (Iterator<String> it = primary.getUserIDs(); it.hasNext(); ) {
            String uid = it.next();
            String e = PgpKeys.emailOf(uid);
            if (e == null || !e.equalsIgnoreCase(email)) {
                others.add(uid);
            }
        }
        PGPPublicKey reduced = primary;
        for (String uid : others) {
            PGPPublicKey r = PGPPublicKey.removeCertification(reduced, uid);
            if (r != null) {
                reduced = r;
            }
        }
        return PGPPublicKeyRing.insertPublicKey(ring, reduced);
    }
}
