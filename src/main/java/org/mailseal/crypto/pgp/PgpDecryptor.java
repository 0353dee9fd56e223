package org.mailseal.crypto.pgp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;

/**
 * Decrypts an OpenPGP message with a secret key the gateway holds, and checks a signature made inside
 * the encryption (one-pass signature, RFC 9580 §5.4). Every failure (bad session key, integrity check,
 * truncation, malformed or unexpected packets) is the same {@link PGPException} "decryption failed"
 * (RFC 9580 §13.5: no oracle). The plaintext written to {@code out} must be discarded by the caller unless
 * this method returns normally: integrity is known only at the end.
 */
public final class PgpDecryptor {

    private PgpDecryptor() {
    }

    /**
     * A signature found inside the encrypted message.
     *
     * @param signer  the signing key, or null if {@code signerLookup} did not know it
     * @param valid   it verified over the literal data
     * @param created the signature creation time
     * @param digest  SHA-256 of the signature packet (the replay-cache key)
     */
    public record Signature(long keyId, PGPPublicKey signer, boolean valid, Instant created, byte[] digest) {
    }

    /** A decrypted message: which of the candidate keys opened it, and its signature if any. */
    public record Result(PGPPublicKeyRing ring, Signature signature) {
        public String fingerprint() {
            return PgpKeys.fingerprint(ring.getPublicKey());
        }
    }

    /**
     * A key the gateway can decrypt with: the certificate, and for a key id of it the decryptor (Bouncy
     * Castle with a sealed secret key, or the PKCS#11 token's provider), or null if it has no secret there.
     */
    public record Candidate(PGPPublicKeyRing ring, Decryptors decryptors) {
        /** From a secret keyring held (sealed) by the gateway. */
        public static Candidate of(PGPSecretKeyRing secret) {
            return new Candidate(PgpKeys.publicRing(secret), keyId -> {
                PGPSecretKey sk = secret.getSecretKey(keyId);
                if (sk == null || sk.isPrivateKeyEmpty()) {
                    return null;
                }
                PGPPrivateKey priv = sk.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]));
                return new BcPublicKeyDataDecryptorFactory(priv);
            });
        }
    }

    /** The decryptor for one key id, or null. */
    public interface Decryptors {
        org.bouncycastle.openpgp.operator.PublicKeyDataDecryptorFactory forKey(long keyId) throws PGPException;
    }

    /** Decrypts with {@code secret}; throws "decryption failed" if that key cannot open it. */
    public static void decrypt(InputStream in, PGPSecretKeyRing secret, OutputStream out) throws PGPException {
        if (decrypt(in, List.of(Candidate.of(secret)), id -> null, out).isEmpty()) {
            throw new PGPException("decryption failed");
        }
    }

    /**
     * Decrypts with whichever of {@code candidates} the message is encrypted to. Empty if it is not
     * encrypted to any of them (the message then is end-to-end encrypted for someone else). The signature
     * is checked with the key {@code signerLookup} returns for its key id.
     */
    public static Optional<Result> decrypt(InputStream in, List<Candidate> candidates, LongFunction<PGPPublicKey> signerLookup,
                                           OutputStream out) throws PGPException {
        try {
            PGPObjectFactory f = new PGPObjectFactory(PGPUtil.getDecoderStream(in), new BcKeyFingerprintCalculator());
            Object o = f.nextObject();
            if (!(o instanceof PGPEncryptedDataList list)) {
                throw new PGPException("not an encrypted message");
            }
            for (Iterator<?> it = list.getEncryptedDataObjects(); it.hasNext(); ) {
                if (!(it.next() instanceof PGPPublicKeyEncryptedData pked) || pked.getKeyIdentifier() == null) {
                    continue;
                }
                for (Candidate cand : candidates) {
                    if (cand.ring().getPublicKey(pked.getKeyIdentifier().getKeyId()) == null) {
                        continue;
                    }
                    org.bouncycastle.openpgp.operator.PublicKeyDataDecryptorFactory factory = cand.decryptors().forKey(pked.getKeyIdentifier().getKeyId());
                    if (factory == null) {
                        continue;
                    }
                    // RFC 9580 §5.13.1 / §13.7: a message without MDC (SED, tag 9) is refused before any plaintext.
                    if (!pked.isIntegrityProtected()) {
                        throw new PGPException("no integrity protection");
                    }
                    InputStream clear = pked.getDataStream(factory);
                    Signature sig = readContent(new PGPObjectFactory(clear, new BcKeyFingerprintCalculator()), signerLookup, out, 0);
                    if (!pked.verify()) {
                        throw new PGPException("integrity check failed");
                    }
                    return Optional.of(new Result(cand.ring(), sig));
                }
            }
            return Optional.empty();
        } catch (KeyUnavailableException e) {
            throw e;
        } catch (IOException | PGPException | RuntimeException e) {
            if (providerFault(e)) {
                throw new KeyUnavailableException("the key's provider failed: " + e.getClass().getSimpleName());
            }
            throw new PGPException("decryption failed");
        }
    }

    /**
     * The private key could not be used (a PKCS#11 token removed or failing, a provider missing): a
     * transient fault of the gateway, never the sender's, so the caller defers instead of refusing.
     */
    public static final class KeyUnavailableException extends PGPException {
        public KeyUnavailableException(String message) {
            super(message);
        }
    }

    // A java.security.ProviderException (what SunPKCS11 throws when the token fails) or a missing provider.
    private static boolean providerFault(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.ProviderException || t instanceof java.security.NoSuchProviderException
                    || t instanceof java.security.KeyStoreException) {
                return true;
            }
        }
        return false;
    }

    // [compressed] [one-pass signature] literal [signature] (RFC 9580 §10.3 message grammar)
    private static Signature readContent(PGPObjectFactory f, LongFunction<PGPPublicKey> lookup, OutputStream out, int depth)
            throws IOException, PGPException {
        Object o = f.nextObject();
        if (o instanceof PGPCompressedData c && depth < 1) { // at most one compression layer (RFC 9580 §13.14)
            return readContent(new PGPObjectFactory(c.getDataStream(), new BcKeyFingerprintCalculator()), lookup, out, depth + 1);
        }
        PGPOnePassSignature ops = null;
        PGPPublicKey signer = null;
        if (o instanceof PGPOnePassSignatureList opsList) {
            if (opsList.size() != 1) {
                throw new PGPException("more than one signature");
            }
            ops = opsList.get(0);
            signer = lookup.apply(ops.getKeyID());
            if (signer != null) {
                ops.init(new BcPGPContentVerifierBuilderProvider(), signer);
            }
            o = f.nextObject();
        }
        if (!(o instanceof PGPLiteralData lit)) {
            throw new PGPException("unexpected packet");
        }
        InputStream data = lit.getInputStream();
        byte[] buf = new byte[65536];
        for (int n; (n = data.read(buf)) > 0; ) {
            if (signer != null) {
                ops.update(buf, 0, n);
            }
            out.write(buf, 0, n);
        }
        Signature result = null;
        if (ops != null) {
            if (!(f.nextObject() instanceof PGPSignatureList sigs) || sigs.size() != 1) {
                throw new PGPException("signature missing");
            }
            PGPSignature s = sigs.get(0);
            if (s.getKeyID() != ops.getKeyID()) {
                throw new PGPException("signature does not match its one-pass header");
            }
            boolean valid = signer != null && ops.verify(s);
            result = new Signature(s.getKeyID(), signer, valid, s.getCreationTime().toInstant(), sha256(s.getEncoded()));
        }
        if (f.nextObject() != null) {
            throw new PGPException("trailing packets");
        }
        return result;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
