package org.mailseal.crypto.smime;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.util.Arrays;
import javax.crypto.spec.PBEParameterSpec;

/**
 * Writes a user's key and certificate chain as a PKCS#12 file (RFC 7292), in one of two profiles.
 * The JDK's PKCS12 key store does the encoding; its algorithms for the certificate bag and the MAC can
 * only be chosen through the {@code keystore.pkcs12.*} security properties, so writing is serialised.
 */
public final class Pkcs12File {

    /** The protection of the file. */
    public enum Profile {
        /** RFC 9579: PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC for key and certificates, HMAC-SHA256 MAC. */
        MODERN("PBEWithHmacSHA256AndAES_256", "PBEWithHmacSHA256AndAES_256", "HmacPBESHA256"),
        /**
         * For readers without PBES2 (GnuPG 2.2's gpgsm, old Outlook): the key under
         * pbeWithSHAAnd3-KeyTripleDES-CBC, the certificates under pbeWithSHAAnd40BitRC2-CBC (what
         * {@code openssl pkcs12 -legacy} writes), HMAC-SHA1 MAC.
         */
        LEGACY("PBEWithSHA1AndDESede", "PBEWithSHA1AndRC2_40", "HmacPBESHA1");

        final String keyAlgorithm;
        final String certAlgorithm;
        final String macAlgorithm;

        Profile(String keyAlgorithm, String certAlgorithm, String macAlgorithm) {
            this.keyAlgorithm = keyAlgorithm;
            this.certAlgorithm = certAlgorithm;
            this.macAlgorithm = macAlgorithm;
        }
    }

    static final int ITERATIONS = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Pkcs12File() {
    }

    /** Writes the file atomically (a temporary file beside it, then a rename). */
    public static void write(Path out, String alias, PrivateKey key, Certificate[] chain, char[] password, Profile profile)
            throws IOException, GeneralSecurityException {
        write(out, alias, key, chain, password, profile, profile == Profile.LEGACY ? legacyKeySalt(password) : randomSalt());
    }

    /** With the key bag's salt given (tests show what gpgsm does with a salt it mishandles). */
    static synchronized void write(Path out, String alias, PrivateKey key, Certificate[] chain, char[] password, Profile profile,
                                   byte[] keySalt) throws IOException, GeneralSecurityException {
        Security.setProperty("keystore.pkcs12.certProtectionAlgorithm", profile.certAlgorithm);
        Security.setProperty("keystore.pkcs12.keyProtectionAlgorithm", profile.keyAlgorithm);
        Security.setProperty("keystore.pkcs12.macAlgorithm", profile.macAlgorithm);
        Security.setProperty("keystore.pkcs12.certPbeIterationCount", String.valueOf(ITERATIONS));
        Security.setProperty("keystore.pkcs12.keyPbeIterationCount", String.valueOf(ITERATIONS));
        Security.setProperty("keystore.pkcs12.macIterationCount", String.valueOf(ITERATIONS));
        KeyStore ks = KeyStore.getInstance("PKCS12", "SUN");
        ks.load(null, null);
        ks.setEntry(alias, new KeyStore.PrivateKeyEntry(key, chain),
                new KeyStore.PasswordProtection(password, profile.keyAlgorithm, new PBEParameterSpec(keySalt, ITERATIONS)));
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".p12", ".tmp");
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                ks.store(o, password);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static byte[] randomSalt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /**
     * A salt for the legacy key bag that GnuPG 2.2's gpgsm derives the right 3DES key from. Its PKCS#12
     * key derivation (RFC 7292 appendix B.2) prints each updated 64-byte block I_j with a minimal-length
     * integer encoding, so a block whose first byte becomes 0 is shifted and the key comes out wrong
     * ("decryption failed ... possibly bad passphrase") for about one salt in 128. The update only runs
     * when the key is longer than one SHA-1 output (3DES: 24 bytes), so the RC2-40 certificate bag and
     * the MAC key are not affected; for the key bag we draw salts until none of its blocks starts with 0.
     */
    static byte[] legacyKeySalt(char[] password) throws GeneralSecurityException {
        while (true) {
            byte[] salt = randomSalt();
            if (!leadingZeroBlockInKeyDerivation(salt, ITERATIONS, password, 24)) {
                return salt;
            }
        }
    }

    /** RFC 7292 B.2 with SHA-1 (u = 20, v = 64) and ID 1 (key material), up to the last update of I. */
    static boolean leadingZeroBlockInKeyDerivation(byte[] salt, int iterations, char[] password, int keyLength)
            throws GeneralSecurityException {
        final int v = 64;
        final int u = 20;
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] d = new byte[v];
        Arrays.fill(d, (byte) 1);
        byte[] bmp = new byte[(password.length + 1) * 2]; // BMPString with its two-byte terminator
        for (int i = 0; i < password.length; i++) {
            bmp[2 * i] = (byte) (password[i] >>> 8);
            bmp[2 * i + 1] = (byte) password[i];
        }
        int sLen = v * ((salt.length + v - 1) / v);
        int pLen = password.length == 0 ? 0 : v * ((bmp.length + v - 1) / v);
        byte[] in = new byte[sLen + pLen];
        for (int i = 0; i < sLen; i++) {
            in[i] = salt[i % salt.length];
        }
        for (int i = 0; i < pLen; i++) {
            in[sLen + i] = bmp[i % bmp.length];
        }
        BigInteger modulus = BigInteger.ONE.shiftLeft(8 * v);
        int rounds = (keyLength + u - 1) / u;
        for (int r = 0; r < rounds - 1; r++) {
            sha1.update(d);
            sha1.update(in);
            byte[] a = sha1.digest();
            for (int c = 1; c < iterations; c++) {
                a = sha1.digest(a);
            }
            byte[] b = new byte[v];
            for (int i = 0; i < v; i++) {
                b[i] = a[i % u];
            }
            BigInteger bPlusOne = new BigInteger(1, b).add(BigInteger.ONE);
            for (int j = 0; j < in.length; j += v) {
                BigInteger block = new BigInteger(1, Arrays.copyOfRange(in, j, j + v)).add(bPlusOne).mod(modulus);
                byte[] raw = block.toByteArray();
                int n = Math.min(raw.length, v);
                Arrays.fill(in, j, j + v, (byte) 0);
                System.arraycopy(raw, raw.length - n, in, j + v - n, n);
                if (in[j] == 0) {
                    return true;
                }
            }
        }
        return false;
    }
}
