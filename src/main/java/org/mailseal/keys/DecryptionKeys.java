package org.mailseal.keys;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.pgp.PgpMimeSigner;
import org.mailseal.crypto.smime.SmimeDecryptor;

/**
 * The private keys an outbound message from one sender may be encrypted to: the sender's own keys and
 * the relay key of the sender's domain ({@code <relayKeyLocalPart>@<domain>}), OpenPGP and S/MIME, and
 * the sender's registered public keys, which a relay-key message must be signed with.
 */
public final class DecryptionKeys implements SenderKeys {

    private final PgpKeyStore pgp;
    private final SmimeStore smime;
    private final MasterKey masterKey;
    private final org.mailseal.config.Outbound outbound;
    private final Pkcs11Token token;
    private final TokenKeys tokenKeys;

    /**
     * {@code masterKey} null: an encrypt-only install, which holds no private keys at all. {@code token}
     * (may be null): keys kept in a PKCS#11 token, found through {@code tokenKeys}.
     */
    public DecryptionKeys(PgpKeyStore pgp, SmimeStore smime, MasterKey masterKey, org.mailseal.config.Outbound outbound,
                          Pkcs11Token token, TokenKeys tokenKeys) {
        this.pgp = pgp;
        this.smime = smime;
        this.masterKey = masterKey;
        this.outbound = outbound;
        this.token = token;
        this.tokenKeys = tokenKeys;
    }

    /** OpenPGP keys {@code email}'s mail may be decrypted with: sealed secret keys, then keys in the token. */
    public List<PgpDecryptor.Candidate> pgpCandidates(String email) throws SQLException, IOException, KeyStoreException {
        List<PgpDecryptor.Candidate> out = new ArrayList<>();
        for (PGPSecretKeyRing r : pgpSecrets(email)) {
            out.add(PgpDecryptor.Candidate.of(r));
        }
        if (token != null) {
            for (PGPPublicKeyRing ring : pgp.certsFor(email)) {
                Optional<String> alias = tokenKeys.alias(PgpKeys.fingerprint(ring.getPublicKey()));
                if (alias.isPresent()) {
                    out.add(new PgpDecryptor.Candidate(ring, keyId -> {
                        try {
                            org.bouncycastle.openpgp.PGPPublicKey pub = ring.getPublicKey(keyId);
                            return pub == null ? null : org.mailseal.crypto.pgp.TokenDecryptorFactory.of(pub, token.privateKey(alias.get()), token.provider());
                        } catch (KeyStoreException e) {
                            throw new PgpDecryptor.KeyUnavailableException("token key unavailable: " + e.getMessage());
                        }
                    }));
                }
            }
        }
        return out;
    }

    /** A PGP/MIME signer with {@code email}'s own signing key (sealed or in the token), or null. */
    public PgpMimeSigner pgpSigner(String email) throws Exception {
        for (PGPSecretKeyRing ring : pgpSecrets(email)) {
            if (PgpMimeSigner.signingKey(ring) != null) {
                return new PgpMimeSigner(ring);
            }
        }
        if (token != null) {
            for (PGPPublicKeyRing ring : pgp.certsFor(email)) {
                Optional<String> alias = tokenKeys.alias(PgpKeys.fingerprint(ring.getPublicKey()));
                if (alias.isPresent()) {
                    return new PgpMimeSigner(ring.getPublicKey(), token.privateKey(alias.get()), token.provider());
                }
            }
        }
        return null;
    }

    public String relayAddress(String domain) {
        return outbound.relayAddress(domain);
    }

    /** OpenPGP secret rings held for {@code email}. */
    public List<PGPSecretKeyRing> pgpSecrets(String email) throws SQLException, IOException, KeyStoreException {
        List<PGPSecretKeyRing> out = new ArrayList<>();
        if (masterKey == null) {
            return out;
        }
        for (PgpKeyStore.Entry e : pgp.list(email)) {
            if (e.hasSecret()) {
                pgp.secret(e.fingerprint(), masterKey).ifPresent(out::add);
            }
        }
        return out;
    }

    /** S/MIME certificates with private keys held for {@code email}. */
    public List<SmimeDecryptor.Candidate> smimeKeys(String email) throws SQLException, GeneralSecurityException, KeyStoreException {
        List<SmimeDecryptor.Candidate> out = new ArrayList<>();
        if (token != null) {
            for (X509Certificate c : smime.certsFor(email)) {
                Optional<String> alias = tokenKeys.alias(org.mailseal.crypto.smime.SmimeCerts.fingerprint(c));
                if (alias.isPresent()) {
                    out.add(new SmimeDecryptor.Candidate(c, token.privateKey(alias.get())));
                }
            }
        }
        if (masterKey == null) {
            return out;
        }
        for (SmimeStore.Entry e : smime.list(email)) {
            if (e.hasKey()) {
                Optional<X509Certificate> c = smime.cert(e.fingerprint());
                Optional<java.security.PrivateKey> k = smime.privateKey(e.fingerprint(), masterKey);
                if (c.isPresent() && k.isPresent()) {
                    out.add(new SmimeDecryptor.Candidate(c.get(), k.get()));
                }
            }
        }
        return out;
    }

    /**
     * The OpenPGP public key (primary or subkey) with {@code keyId} among the certificates registered
     * for {@code email}, or null. Only these may sign a relay-key message from that sender.
     */
    public PGPPublicKey registeredSigningKey(String email, long keyId) throws SQLException, IOException {
        for (PGPPublicKeyRing ring : pgp.certsFor(email)) {
            PGPPublicKey k = ring.getPublicKey(keyId);
            if (k != null) {
                return k;
            }
        }
        return null;
    }

    /** The S/MIME certificates registered for {@code email}. */
    public List<X509Certificate> registeredCerts(String email) throws SQLException, GeneralSecurityException {
        return smime.certsFor(email);
    }

    /** Intermediate certificates (chain certs from imports) that issued {@code c}, for a signature's certificate set. */
    public List<X509Certificate> chainFor(X509Certificate c) throws SQLException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        X509Certificate cur = c;
        List<X509Certificate> pool = new ArrayList<>(smime.chainCerts());
        smime.ca().ifPresent(ca -> pool.add(ca.cert()));
        for (int depth = 0; depth < 5; depth++) {
            X509Certificate issuer = null;
            for (X509Certificate cand : pool) {
                if (cand.getSubjectX500Principal().equals(cur.getIssuerX500Principal()) && !cand.equals(cur)) {
                    issuer = cand;
                    break;
                }
            }
            if (issuer == null || out.contains(issuer)) {
                break;
            }
            out.add(issuer);
            cur = issuer;
        }
        return out;
    }
}
