package org.mailseal.crypto.pgp;

import java.security.PrivateKey;
import java.security.Provider;
import org.bouncycastle.bcpg.AEADEncDataPacket;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.RSAPublicBCPGKey;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.operator.AbstractPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.PGPDataDecryptor;
import org.bouncycastle.openpgp.operator.PublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyDataDecryptorFactoryBuilder;

/**
 * Opens an OpenPGP session key with a private key held in a PKCS#11 token (its provider does the RSA).
 *
 * <p>An RSA session key travels as an MPI (RFC 9580 §5.1.3, §3.2), which drops the ciphertext's leading
 * zero bytes: about one message in 256 carries fewer bytes than the modulus. PKCS#1 decryption wants
 * exactly the modulus length (RFC 8017 §7.2.2 step 1), and a token enforces it (SoftHSM answers
 * CKR_ENCRYPTED_DATA_LEN_RANGE). Bouncy Castle pads only for a key that tells its modulus through
 * {@code RSAKey}, which a token's non-extractable key does not. So the MPI is padded here to the length of
 * the modulus taken from the public key.
 */
public final class TokenDecryptorFactory extends AbstractPublicKeyDataDecryptorFactory {

    private final PublicKeyDataDecryptorFactory jce;
    private final int modulusBytes;

    private TokenDecryptorFactory(PublicKeyDataDecryptorFactory jce, int modulusBytes) {
        this.jce = jce;
        this.modulusBytes = modulusBytes;
    }

    /** A decryptor for {@code publicKey}'s session keys, with its private half {@code key} in {@code provider}'s token. */
    public static PublicKeyDataDecryptorFactory of(PGPPublicKey publicKey, PrivateKey key, Provider provider) {
        PublicKeyDataDecryptorFactory jce = new JcePublicKeyDataDecryptorFactoryBuilder().setProvider(provider)
                .setContentProvider(org.mailseal.crypto.Providers.BC) // an instance: no lookup by name
                .build(key);
        int bytes = publicKey.getPublicKeyPacket().getKey() instanceof RSAPublicBCPGKey rsa ? (rsa.getModulus().bitLength() + 7) / 8 : -1;
        return new TokenDecryptorFactory(jce, bytes);
    }

    @Override
    public byte[] recoverSessionData(int keyAlgorithm, byte[][] secKeyData, int pkeskVersion) throws PGPException {
        boolean rsa = keyAlgorithm == PublicKeyAlgorithmTags.RSA_GENERAL || keyAlgorithm == PublicKeyAlgorithmTags.RSA_ENCRYPT;
        if (rsa && modulusBytes > 0 && secKeyData.length == 1) {
            secKeyData = new byte[][] {padded(secKeyData[0], modulusBytes)};
        }
        return jce.recoverSessionData(keyAlgorithm, secKeyData, pkeskVersion);
    }

    /** The MPI {@code mpi} (2-byte bit count, then the magnitude) with its magnitude left-padded to {@code length}. */
    static byte[] padded(byte[] mpi, int length) throws PGPException {
        int have = mpi.length - 2;
        if (have < 0 || have > length) {
            throw new PGPException("RSA session key longer than the modulus");
        }
        if (have == length) {
            return mpi;
        }
        byte[] out = new byte[2 + length];
        out[0] = mpi[0];
        out[1] = mpi[1];
        System.arraycopy(mpi, 2, out, 2 + length - have, have);
        return out;
    }

    @Override
    public PGPDataDecryptor createDataDecryptor(boolean withIntegrityPacket, int encAlgorithm, byte[] key) throws PGPException {
        return jce.createDataDecryptor(withIntegrityPacket, encAlgorithm, key);
    }

    @Override
    public PGPDataDecryptor createDataDecryptor(AEADEncDataPacket aeadEncDataPacket, PGPSessionKey sessionKey) throws PGPException {
        return jce.createDataDecryptor(aeadEncDataPacket, sessionKey);
    }

    @Override
    public PGPDataDecryptor createDataDecryptor(SymmetricEncIntegrityPacket seipd, PGPSessionKey sessionKey) throws PGPException {
        return jce.createDataDecryptor(seipd, sessionKey);
    }
}
