package org.mailseal.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.mailseal.crypto.KeyStoreException;

/**
 * The key-encryption key that seals every private key at rest: AES-256-GCM under a key derived with
 * Argon2id (RFC 9106) from the master passphrase. The salt and cost live in the store with a verifier,
 * so a wrong passphrase is detected at unlock instead of producing garbage.
 */
public final class MasterKey {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] CHECK = "mailseal master key check v1".getBytes(StandardCharsets.US_ASCII);

    private volatile SecretKeySpec key;
    private volatile byte[] salt;
    private DataSource ds;
    private volatile java.util.concurrent.Callable<MasterKey> reloader;
    private volatile long lastReload;

    private MasterKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
    }

    private MasterKey(byte[] raw, byte[] salt, DataSource ds) {
        this(raw);
        this.salt = salt;
        this.ds = ds;
    }

    /**
     * Before sealing a new record: if the store's master key was rotated since this key was unlocked,
     * unlock again (so nothing is sealed under a key that no longer opens), else refuse.
     */
    private void ensureCurrent() {
        if (ds == null) {
            return;
        }
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT salt FROM master_key WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next() || Arrays.equals(rs.getBytes(1), salt)) {
                return;
            }
            java.util.concurrent.Callable<MasterKey> r = reloader;
            MasterKey fresh = r != null ? r.call() : null;
            if (fresh == null || !Arrays.equals(rs.getBytes(1), fresh.salt)) {
                throw new IllegalStateException("the master key was rotated and the new passphrase is not available yet");
            }
            key = fresh.key;
            salt = fresh.salt;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot check the master key: " + e.getMessage(), e);
        }
    }

    /**
     * Lets a long-running process follow {@code keys rotate-master} without a restart: when a record does
     * not open, the master key is unlocked again from the current passphrase (at most once a second), and
     * the record is tried once more.
     */
    public MasterKey reloadingWith(java.util.concurrent.Callable<MasterKey> reload) {
        this.reloader = reload;
        return this;
    }

    /**
     * Re-seals every sealed record (OpenPGP secret keys, S/MIME private keys, the CA key, IMAP passwords)
     * under a key derived from {@code newPassphrase} with a fresh salt, and replaces the verifier, in one
     * transaction: either everything is under the new passphrase or nothing changed. Returns how many
     * records were re-sealed.
     */
    public int rotate(DataSource ds, char[] newPassphrase, int memoryKiB, int iterations) throws SQLException, KeyStoreException {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        MasterKey next = new MasterKey(derive(newPassphrase, salt, memoryKiB, iterations), salt, null);
        int n = 0;
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                n += reseal(c, next, "pgp_secret_keys", "fingerprint", "sealed", null);
                n += reseal(c, next, "smime_private_keys", "fingerprint", "sealed", null);
                n += reseal(c, next, "ca", "id", "sealed_key", "ca");
                n += reseal(c, next, "imap_credentials", "email", "sealed_password", null);
                n += reseal(c, next, "pdf_passwords", "email", "sealed_password", null);
                n += reseal(c, next, "pdf_secrets", "email", "sealed_secret", null);
                n += reseal(c, next, "dkim_keys", "name", "sealed_key", null);
                try (PreparedStatement ps = c.prepareStatement("UPDATE master_key SET salt = ?, memory_kib = ?, iterations = ?, verifier = ? WHERE id = 1")) {
                    ps.setBytes(1, salt);
                    ps.setInt(2, memoryKiB);
                    ps.setInt(3, iterations);
                    ps.setBytes(4, next.sealRaw(CHECK, CHECK));
                    if (ps.executeUpdate() != 1) {
                        throw new KeyStoreException("no master key in this store");
                    }
                }
                c.commit();
            } catch (SQLException | KeyStoreException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        this.key = next.key;
        this.salt = salt;
        return n;
    }

    // Each row: open with this key (aad = the row's id column, or the fixed aad), seal with next.
    private int reseal(Connection c, MasterKey next, String table, String idColumn, String column, String fixedAad)
            throws SQLException, KeyStoreException {
        java.util.Map<String, byte[]> rows = new java.util.LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + idColumn + ", " + column + " FROM " + table);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getBytes(2));
            }
        }
        rows.values().removeIf(v -> v == null || v.length == 0); // nothing sealed (the key is in a PKCS#11 token)
        for (java.util.Map.Entry<String, byte[]> r : rows.entrySet()) {
            // UTF-8, as the stores seal: an internationalised address (RFC 6531) is the aad of its rows.
            byte[] aad = (fixedAad != null ? fixedAad : r.getKey()).getBytes(StandardCharsets.UTF_8);
            byte[] plain = openOnce(r.getValue(), aad);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE " + idColumn + " = ?")) {
                ps.setBytes(1, next.sealRaw(plain, aad));
                if (idColumn.equals("id")) {
                    ps.setInt(2, Integer.parseInt(r.getKey()));
                } else {
                    ps.setString(2, r.getKey());
                }
                ps.executeUpdate();
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
        return rows.size();
    }

    /** Unlocks (or, on first use, creates) the store's master key. */
    public static MasterKey unlock(DataSource ds, char[] passphrase, int memoryKiB, int iterations) throws SQLException, KeyStoreException {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT salt, memory_kib, iterations, verifier FROM master_key WHERE id = 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    MasterKey mk = new MasterKey(derive(passphrase, rs.getBytes(1), rs.getInt(2), rs.getInt(3)), rs.getBytes(1), ds);
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
            MasterKey mk = new MasterKey(derive(passphrase, salt, memoryKiB, iterations), salt, ds);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO master_key(id, salt, memory_kib, iterations, verifier) VALUES (1,?,?,?,?)")) {
                ps.setBytes(1, salt);
                ps.setInt(2, memoryKiB);
                ps.setInt(3, iterations);
                ps.setBytes(4, mk.sealRaw(CHECK, CHECK));
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
        ensureCurrent();
        return sealRaw(plaintext, aad);
    }

    private byte[] sealRaw(byte[] plaintext, byte[] aad) {
        try {
            return org.mailseal.crypto.AesGcm.seal(key, plaintext, aad);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }


    public byte[] open(byte[] sealed, byte[] aad) throws KeyStoreException {
        try {
            return openOnce(sealed, aad);
        } catch (KeyStoreException e) {
            java.util.concurrent.Callable<MasterKey> r = reloader;
            long now = System.currentTimeMillis();
            if (r == null || now - lastReload < 1000) {
                throw e;
            }
            lastReload = now;
            try {
                MasterKey fresh = r.call();
                if (fresh == null) {
                    throw e;
                }
                key = fresh.key;
            } catch (Exception reloadFailed) {
                throw e;
            }
            return openOnce(sealed, aad);
        }
    }

    private byte[] openOnce(byte[] sealed, byte[] aad) throws KeyStoreException {
        try {
            return org.mailseal.crypto.AesGcm.open(key, sealed, aad);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyStoreException("sealed key cannot be opened (wrong master key or damaged record)");
        }
    }
}
