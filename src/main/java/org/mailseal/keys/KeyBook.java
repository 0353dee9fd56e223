package org.mailseal.keys;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.crypto.pgp.PgpKeys;

/**
 * Correspondents' public keys as the stages see them: what a Sent copy or a reply is encrypted to, and
 * what inbound mail may teach. The gateway's is {@link #of} the two key directories; stage tests use
 * one in memory.
 */
public interface KeyBook {

    /** The newest usable OpenPGP key bound to this address. */
    Optional<PgpKeys.ValidCert> pgp(String address) throws Exception;

    /** The newest usable S/MIME certificate for this address. */
    Optional<CertDirectory.ValidCert> smime(String address) throws Exception;

    /** Stores a correspondent's OpenPGP key, bound to {@code address} only (never to its other user ids). */
    void learnPgp(String address, PGPPublicKeyRing ring) throws Exception;

    /**
     * Validates a signer's certificate for {@code address} (with the CA certificates its signature
     * carried) and stores it, bound to that address only.
     *
     * @throws org.mailseal.crypto.KeyStoreException with the reason if it is not usable
     */
    void learnSmime(String address, X509Certificate signer, List<X509Certificate> chain) throws Exception;

    static KeyBook of(KeyDirectory keys, CertDirectory certs) {
        return new KeyBook() {
            @Override
            public Optional<PgpKeys.ValidCert> pgp(String address) throws Exception {
                return keys.find(address);
            }

            @Override
            public Optional<CertDirectory.ValidCert> smime(String address) throws Exception {
                return certs.find(address);
            }

            @Override
            public void learnPgp(String address, PGPPublicKeyRing ring) throws Exception {
                PgpKeys.ValidCert v = keys.store().putCert(ring, false, List.of(address));
                keys.store().setSource(v.fingerprint(), "harvested: Autocrypt header");
                keys.forget(address);
            }

            @Override
            public void learnSmime(String address, X509Certificate signer, List<X509Certificate> chain) throws Exception {
                certs.validate(signer, address, chain);
                for (X509Certificate x : chain) {
                    certs.store().putChainCert(x);
                }
                certs.store().putCert(signer, false, List.of(address));
                certs.store().setSource(org.mailseal.crypto.smime.SmimeCerts.fingerprint(signer), "harvested: S/MIME signature");
                certs.forget(address);
            }
        };
    }
}
