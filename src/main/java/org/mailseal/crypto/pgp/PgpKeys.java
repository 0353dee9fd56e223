package org.mailseal.crypto.pgp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.generators.X25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.crypto.params.X25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.PBESecretKeyEncryptor;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.mail.Address;

/**
 * OpenPGP key handling: reading keyrings, validating certificates for use as encryption keys,
 * generating GnuPG-2.2-compatible gateway keys, and export.
 */
public final class PgpKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private PgpKeys() {
    }

    /** Key algorithms for generated gateway keys; both are read by GnuPG 2.2 (v4 keys). */
    public enum Algo {
        /** EdDSALegacy (22) primary with an ECDH Curve25519Legacy (18) subkey. */
        CV25519,
        /** RSA-3072 primary and subkey. */
        RSA3072;

        public static Algo parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "cv25519", "ed25519", "curve25519" -> CV25519;
                case "rsa3072", "rsa" -> RSA3072;
                default -> throw new IllegalArgumentException("unknown key algorithm '" + s + "' (cv25519, rsa3072)");
            };
        }
    }

    /** A certificate that passed validation, with what encryption needs. */
    public record ValidCert(PGPPublicKeyRing ring, String fingerprint, List<String> emails, List<PGPPublicKey> encryptionKeys,
                            Instant created, Instant expires, String algorithm) {
    }

    public static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    /** Reads every public and secret keyring from armored or binary input. */
    public static List<Object> readKeyrings(InputStream in) throws IOException {
        List<Object> out = new ArrayList<>();
        InputStream dec = PGPUtil.getDecoderStream(in);
        PGPObjectFactory f = new PGPObjectFactory(dec, new BcKeyFingerprintCalculator());
        while (true) {
            Object o;
            try {
                o = f.nextObject();
            } catch (IOException | RuntimeException e) {
                throw new IOException("not an OpenPGP key: " + e.getMessage());
            }
            if (o == null) {
                // Armored input may hold several blocks (e.g. a keyring export of many keys).
                if (dec instanceof org.bouncycastle.bcpg.ArmoredInputStream a && !a.isEndOfStream()) {
                    f = new PGPObjectFactory(dec, new BcKeyFingerprintCalculator());
                    continue;
                }
                break;
            }
            if (o instanceof PGPPublicKeyRing || o instanceof PGPSecretKeyRing) {
                out.add(o);
            } else if (!(o instanceof PGPSignature) && !(o instanceof org.bouncycastle.openpgp.PGPSignatureList)) {
                throw new IOException("not an OpenPGP key (found " + o.getClass().getSimpleName() + ")");
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no OpenPGP key found");
        }
        return out;
    }

    public static PGPPublicKeyRing publicRing(PGPSecretKeyRing secret) {
        List<PGPPublicKey> keys = new ArrayList<>();
        secret.getPublicKeys().forEachRemaining(keys::add);
        return new PGPPublicKeyRing(keys);
    }

    /**
     * Checks that a certificate can be used to encrypt mail for {@code email} (null: for any of its
     * addresses). Refuses, naming reason and fingerprint: revoked, expired, SHA-1-only self-signatures,
     * no encryption-capable subkey, no user id for the address.
     */
    public static ValidCert validate(PGPPublicKeyRing ring, String email, Instant now) throws KeyStoreException {
        PGPPublicKey primary = ring.getPublicKey();
        String fpr = fingerprint(primary);
        if (primary.hasRevocation()) {
            throw refuse(fpr, "key is revoked");
        }
        if (primary.getVersion() != PublicKeyPacket.VERSION_4) {
            throw refuse(fpr, "only v4 keys are supported (this is v" + primary.getVersion() + ")");
        }
        Instant created = primary.getCreationTime().toInstant();
        Instant expires = expiry(primary);
        if (expires != null && !now.isBefore(expires)) {
            throw refuse(fpr, "key expired on " + expires);
        }
        List<String> emails = new ArrayList<>();
        boolean strongSelfSig = false;
        boolean anySelfSig = false;
        int primaryFlags = 0;
        for (Iterator<String> it = primary.getUserIDs(); it.hasNext(); ) {
            String uid = it.next();
            PGPSignature best = null;
            boolean revoked = false;
            for (Iterator<PGPSignature> sigs = primary.getSignaturesForID(uid); sigs != null && sigs.hasNext(); ) {
                PGPSignature sig = sigs.next();
                if (sig.getKeyID() != primary.getKeyID() || !verifies(sig, uid, primary)) {
                    continue;
                }
                if (sig.getSignatureType() == PGPSignature.CERTIFICATION_REVOCATION) {
                    revoked = true;
                } else if (sig.isCertification() && (best == null || sig.getCreationTime().after(best.getCreationTime()))) {
                    best = sig;
                }
            }
            if (best == null || revoked) {
                continue;
            }
            anySelfSig = true;
            if (isStrongHash(best.getHashAlgorithm())) {
                strongSelfSig = true;
                if (best.getHashedSubPackets() != null) {
                    primaryFlags |= best.getHashedSubPackets().getKeyFlags();
                }
                String e = emailOf(uid);
                if (e != null && !emails.contains(e)) {
                    emails.add(e);
                }
            }
        }
        if (!anySelfSig) {
            throw refuse(fpr, "no valid self-signed user id");
        }
        if (!strongSelfSig) {
            throw refuse(fpr, "only SHA-1 (or weaker) self-signatures");
        }
        List<PGPPublicKey> enc = new ArrayList<>();
        if (primary.isEncryptionKey() && (primaryFlags & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0) {
            enc.add(primary);
        }
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext(); ) {
            PGPPublicKey k = it.next();
            if (k.isMasterKey() || !k.isEncryptionKey() || k.hasRevocation()) {
                continue;
            }
            PGPSignature binding = null;
            for (Iterator<PGPSignature> sigs = k.getSignaturesOfType(PGPSignature.SUBKEY_BINDING); sigs.hasNext(); ) {
                PGPSignature s = sigs.next();
                if (s.getKeyID() == primary.getKeyID() && verifiesBinding(s, primary, k) && isStrongHash(s.getHashAlgorithm())
                        && (binding == null || s.getCreationTime().after(binding.getCreationTime()))) {
                    binding = s;
                }
            }
            if (binding == null) {
                continue;
            }
            PGPSignatureSubpacketVector h = binding.getHashedSubPackets();
            int flags = h != null ? h.getKeyFlags() : 0;
            if (flags != 0 && (flags & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) == 0) {
                continue;
            }
            long validSeconds = h != null ? h.getKeyExpirationTime() : 0;
            if (validSeconds > 0 && !now.isBefore(k.getCreationTime().toInstant().plusSeconds(validSeconds))) {
                continue;
            }
            enc.add(k);
        }
        if (enc.isEmpty()) {
            throw refuse(fpr, "no encryption-capable subkey (sign-only key?)");
        }
        if (emails.isEmpty()) {
            throw refuse(fpr, "no user id with an email address");
        }
        if (email != null && emails.stream().noneMatch(e -> e.equalsIgnoreCase(email))) {
            throw refuse(fpr, "no user id matching " + email);
        }
        // Newest encryption subkey first: that is the one we encrypt to.
        enc.sort((a, b) -> b.getCreationTime().compareTo(a.getCreationTime()));
        return new ValidCert(ring, fpr, List.copyOf(emails), List.copyOf(enc), created, expires, algorithmName(primary));
    }

    private static KeyStoreException refuse(String fpr, String reason) {
        return new KeyStoreException("key " + fpr + " refused: " + reason);
    }

    private static Instant expiry(PGPPublicKey primary) {
        long secs = primary.getValidSeconds();
        return secs > 0 ? primary.getCreationTime().toInstant().plusSeconds(secs) : null;
    }

    private static boolean isStrongHash(int alg) {
        return alg == HashAlgorithmTags.SHA256 || alg == HashAlgorithmTags.SHA384 || alg == HashAlgorithmTags.SHA512
                || alg == HashAlgorithmTags.SHA224 || alg == HashAlgorithmTags.SHA3_256 || alg == HashAlgorithmTags.SHA3_512;
    }

    private static boolean verifies(PGPSignature sig, String uid, PGPPublicKey primary) {
        try {
            sig.init(new BcPGPContentVerifierBuilderProvider(), primary);
            return sig.verifyCertification(uid, primary);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verifiesBinding(PGPSignature sig, PGPPublicKey primary, PGPPublicKey sub) {
        try {
            sig.init(new BcPGPContentVerifierBuilderProvider(), primary);
            return sig.verifyCertification(primary, sub);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The address in a user id, read as RFC 5322 §3.4 anchored at the whole string: a {@code name-addr}
     * ({@code [display-name] "<" addr-spec ">"}, nothing after the {@code >}) or a bare {@code addr-spec}.
     * Quoted strings and comments in the display name are skipped as units, so a {@code <} inside them
     * is not an address. The addr-spec must be a dot-atom local part (no quotes, no {@code < > @ % !})
     * at a valid domain; anything else gives null, so the key is bound to no address by its user id.
     */
    public static String emailOf(String uid) {
        String u = uid.strip();
        int open = -1;
        boolean quoted = false;
        int comment = 0;
        for (int i = 0; i < u.length(); i++) {
            char c = u.charAt(i);
            if (c == '\\' && (quoted || comment > 0)) {
                i++;
            } else if (quoted) {
                quoted = c != '"';
            } else if (c == '(') {
                comment++;
            } else if (c == ')' && comment > 0) {
                comment--;
            } else if (comment > 0) {
                continue;
            } else if (c == '"') {
                quoted = true;
            } else if (c == '<') {
                open = i;
                break;
            } else if (c == '>') {
                return null;
            }
        }
        String spec;
        if (open >= 0) {
            if (!u.endsWith(">") || u.indexOf('>', open) != u.length() - 1) {
                return null;
            }
            spec = u.substring(open + 1, u.length() - 1);
        } else if (!quoted && comment == 0) {
            spec = u;
        } else {
            return null;
        }
        return Address.isPlainAddrSpec(spec) ? Address.normalise(spec) : null;
    }

    public static String algorithmName(PGPPublicKey k) {
        return switch (k.getAlgorithm()) {
            case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_SIGN, PublicKeyAlgorithmTags.RSA_ENCRYPT -> "rsa" + k.getBitStrength();
            case PublicKeyAlgorithmTags.EDDSA_LEGACY -> "ed25519legacy";
            case PublicKeyAlgorithmTags.Ed25519 -> "ed25519";
            case PublicKeyAlgorithmTags.ECDSA -> "ecdsa" + k.getBitStrength();
            case PublicKeyAlgorithmTags.DSA -> "dsa" + k.getBitStrength();
            default -> "alg" + k.getAlgorithm();
        };
    }

    /**
     * Generates a v4 key for {@code email}: certify+sign primary, encrypt subkey, preferences AES-256,
     * AES-128 / SHA-512, SHA-256 / uncompressed, features SEIPDv1 only (no SEIPDv2, no LibrePGP OCB flag).
     * The secret keys are not passphrase-protected: the store seals them under the master key.
     */
    public static PGPSecretKeyRing generate(String email, String name, Algo algo) throws PGPException {
        Date now = new Date((System.currentTimeMillis() / 1000 - 60) * 1000);
        PGPKeyPair primary;
        PGPKeyPair sub;
        if (algo == Algo.CV25519) {
            Ed25519KeyPairGenerator eg = new Ed25519KeyPairGenerator();
            eg.init(new Ed25519KeyGenerationParameters(RANDOM));
            primary = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY, eg.generateKeyPair(), now);
            X25519KeyPairGenerator xg = new X25519KeyPairGenerator();
            xg.init(new X25519KeyGenerationParameters(RANDOM));
            sub = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.ECDH, xg.generateKeyPair(), now);
        } else {
            RSAKeyPairGenerator rg = new RSAKeyPairGenerator();
            rg.init(new RSAKeyGenerationParameters(java.math.BigInteger.valueOf(65537), RANDOM, 3072, 100));
            AsymmetricCipherKeyPair p = rg.generateKeyPair();
            primary = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, p, now);
            sub = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, rg.generateKeyPair(), now);
        }
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        h.setPreferredSymmetricAlgorithms(false, new int[] {SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_128});
        h.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
        h.setPreferredCompressionAlgorithms(false, new int[] {0}); // uncompressed
        h.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION); // SEIPDv1 only
        h.setIssuerFingerprint(false, primary.getPublicKey());
        h.setSignatureCreationTime(false, now);
        PGPSignatureSubpacketGenerator sh = new PGPSignatureSubpacketGenerator();
        sh.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
        sh.setIssuerFingerprint(false, primary.getPublicKey());
        sh.setSignatureCreationTime(false, now);
        String uid = (name == null || name.isBlank() ? "" : name + " ") + "<" + email + ">";
        PGPKeyRingGenerator gen = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, uid,
                new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), h.generate(), null,
                new BcPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA512), null);
        gen.addSubKey(sub, sh.generate(), null);
        return gen.generateSecretKeyRing();
    }

    /**
     * An OpenPGP certificate for a key pair that lives in a PKCS#11 token: one RSA primary key for
     * certify, sign and encrypt, self-certified by the token ({@code provider}). Only the public part
     * exists outside the token.
     */
    public static PGPPublicKeyRing certifyTokenKey(java.security.KeyPair kp, java.security.Provider provider, String email) throws PGPException {
        Date now = new Date((System.currentTimeMillis() / 1000 - 60) * 1000);
        PGPPublicKey pub = new org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyConverter()
                .getPGPPublicKey(PublicKeyAlgorithmTags.RSA_GENERAL, kp.getPublic(), now);
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA | KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
        h.setPreferredSymmetricAlgorithms(false, new int[] {SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_128});
        h.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
        h.setPreferredCompressionAlgorithms(false, new int[] {0});
        h.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
        h.setIssuerFingerprint(false, pub);
        h.setSignatureCreationTime(false, now);
        org.bouncycastle.openpgp.PGPSignatureGenerator g = new org.bouncycastle.openpgp.PGPSignatureGenerator(
                new org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256)
                        .setProvider(provider), pub);
        g.init(PGPSignature.POSITIVE_CERTIFICATION, new org.bouncycastle.openpgp.operator.jcajce.JcaPGPPrivateKey(pub, kp.getPrivate()));
        g.setHashedSubpackets(h.generate());
        String uid = "<" + email + ">";
        PGPSignature cert = g.generateCertification(uid, pub);
        return new PGPPublicKeyRing(List.of(PGPPublicKey.addCertification(pub, uid, cert)));
    }

    /** The secret keyring re-protected with {@code passphrase} (AES-256, iterated+salted SHA-256 S2K), for a user's own client. */
    public static PGPSecretKeyRing protect(PGPSecretKeyRing ring, char[] passphrase) throws PGPException {
        PBESecretKeyEncryptor enc = new BcPBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256,
                new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA256), 0xff).build(passphrase);
        List<PGPSecretKey> keys = new ArrayList<>();
        for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
            keys.add(PGPSecretKey.copyWithNewPassword(it.next(),
                    new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]), enc));
        }
        return new PGPSecretKeyRing(keys);
    }

    public static byte[] armor(byte[] binary) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ArmoredOutputStream a = ArmoredOutputStream.builder().clearHeaders().build(b)) {
            a.write(binary);
        }
        return b.toByteArray();
    }

    public static PGPPublicKeyRing parsePublic(byte[] encoded) throws IOException {
        return new PGPPublicKeyRing(new ByteArrayInputStream(encoded), new BcKeyFingerprintCalculator());
    }

    public static PGPSecretKeyRing parseSecret(byte[] encoded) throws IOException, PGPException {
        return new PGPSecretKeyRing(new ByteArrayInputStream(encoded), new BcKeyFingerprintCalculator());
    }
}
