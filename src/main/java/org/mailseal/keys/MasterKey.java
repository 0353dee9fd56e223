package org.mailseal.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The key-encryption key that seals every private key at rest: AES-256-GCM under a key derived with
 * Argon2id (RFC 9106) from the master passphrase. The salt and cost live in the store with a verifier,
 * so a wrong passphrase is detected at unlock instead of producing garbage.
 */
public final class MasterKey {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] CHECK = "mailseal master key check v1".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;

    private MasterKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
    }

    /** Unlocks (or, on first use, creates) the store's master key. */
    public static MasterKey unlock(DataSource ds, char[] passphrase, int memoryKiB, int iterations) throws SQLException, KeyStoreException {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT salt, memory_kib, iterations, verifier FROM master_key WHERE id = 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    MasterKey mk = new MasterKey(derive(passphrase, rs.getBytes(1), rs.getInt(2), rs.getInt(3)));
                    try {
                        if (!Arrays.equals(mk.open(rs.getBytes(4), CHECK), CHECK)) {
                            throw new KeyStoreException("master passphrase does not match this key store");
                        }
                    } catch (KeyStoreException e) {
                        throw new KeyStoreException("master passphrase does not match this key store");
                    }
                    return mk;
                }
            }
            byte[] salt = new byte[16];
            RANDOM.nextBytes(salt);
            MasterKey mk = new MasterKey(derive(passphrase, salt, memoryKiB, iterations));
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO master_key(id, salt, memory_kib, iterations, verifier) VALUES (1,?,?,?,?)")) {
                ps.setBytes(1, salt);
                ps.setInt(2, memoryKiB);
                ps.setInt(3, iterations);
                ps.setBytes(4, mk.seal(CHECK, CHECK));
                ps.executeUpdate();
            } catch (SQLException e) {
                // another process created it first: use theirs
                return unlock(ds, passphrase, memoryKiB, iterations);
            }
            return mk;
        }
    }

    private static byte[] derive(char[] passphrase, byte[] salt, int m, int t) {
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(m).withIterations(t).withParallelism(1).withSalt(salt).build());
        byte[] out = new byte[32];
        g.generateBytes(passphrase, out);
        return out;
    }

    /** nonce(12) || AES-256-GCM(plaintext) with {@code aad} bound in. */
    public byte[] seal(byte[] plaintext, byte[] aad) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[12 + ct.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    public byte[] open(byte[] sealed, byte[] aad) throws KeyStoreException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, 12));
            c.updateAAD(aad);
            return c.doFinal(sealed, 12, sealed.length - 12);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyStoreException("sealed key cannot be opened (wrong master key or damaged record)");
        }
    }
}
