package org.mailseal.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The one sealed-record format of the store and the bridge cache: a fresh random 12-byte nonce, then
 * AES-GCM (128-bit tag, SunJCE) of the plaintext with {@code aad} bound in.
 */
public final class AesGcm {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AesGcm() {
    }

    /** nonce(12) || AES-GCM(plaintext, aad). */
    public static byte[] seal(SecretKey key, byte[] plaintext, byte[] aad) throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        c.updateAAD(aad);
        byte[] out = new byte[12 + c.getOutputSize(plaintext.length)];
        System.arraycopy(nonce, 0, out, 0, 12);
        c.doFinal(plaintext, 0, plaintext.length, out, 12);
        return out;
    }

    /** The plaintext of {@link #seal}'s output; throws when the key, the aad or a byte differ. */
    public static byte[] open(SecretKey key, byte[] sealed, byte[] aad) throws GeneralSecurityException {
        if (sealed.length < 12 + 16) {
            throw new javax.crypto.AEADBadTagException("too short for a sealed record");
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, 12));
        c.updateAAD(aad);
        return c.doFinal(sealed, 12, sealed.length - 12);
    }
}
