package org.mailseal.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A keyed marker that mailseal puts inside everything it encrypts for storage (inbound mail, Sent
 * copies): {@code X-Mailseal-Sealed: v1; n=<nonce>; m=<HMAC-SHA256(key, nonce)>} in the encrypted
 * header. The outbound path never relays what carries a valid one, so a provider cannot resend a
 * stored message (even one with a user's signature inside) as the user to have mailseal decrypt it.
 * The key is 32 random bytes, kept in the store ({@code shared_secrets}) so that every node of a cluster
 * seals and recognises with the same key; an installation from before that brings the key of its
 * {@code <dataDir>/seal.key} file into the store at its first start, and keeps recognising markers made
 * with that file's key when another node's key was there first.
 */
public final class StorageSeal {

    public static final String FIELD = "X-Mailseal-Sealed";

    private final byte[] key;
    private final byte[] legacy;
    private final SecureRandom random = new SecureRandom();

    StorageSeal(byte[] key) {
        this(key, null);
    }

    private StorageSeal(byte[] key, byte[] legacy) {
        this.key = key.clone();
        this.legacy = legacy == null || java.util.Arrays.equals(key, legacy) ? null : legacy.clone();
    }

    /**
     * The seal key of the store {@code ds} (shared by every node); made (or taken from this node's
     * {@code seal.key} file) at the first start.
     */
    public static StorageSeal load(Path dataDir, javax.sql.DataSource ds) throws IOException {
        byte[] file = load(dataDir).key; // this node's file (made now if missing): the first node's becomes the store's
        try (java.sql.Connection c = ds.getConnection()) {
            byte[] stored = shared(c);
            if (stored == null) {
                byte[] k = file;
                try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO shared_secrets (name, secret, created_at) VALUES ('seal', ?, ?)")) {
                    ps.setBytes(1, k);
                    ps.setTimestamp(2, java.sql.Timestamp.from(java.time.Instant.now()));
                    ps.executeUpdate();
                } catch (java.sql.SQLException raced) {
                    // another node stored one first: use it
                }
                stored = shared(c);
            }
            return new StorageSeal(stored, file);
        } catch (java.sql.SQLException e) {
            throw new IOException("seal key: " + e.getMessage(), e);
        }
    }

    private static byte[] shared(java.sql.Connection c) throws java.sql.SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT secret FROM shared_secrets WHERE name = 'seal'");
             java.sql.ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getBytes(1) : null;
        }
    }

    public static StorageSeal load(Path dataDir) throws IOException {
        Path f = dataDir.resolve("seal.key");
        if (!Files.exists(f)) {
            byte[] k = new byte[32];
            new SecureRandom().nextBytes(k);
            Path tmp = dataDir.resolve("seal.key.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, k, StandardOpenOption.WRITE);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        byte[] k = Files.readAllBytes(f);
        if (k.length != 32) {
            throw new IOException(f + ": not a seal key (32 bytes expected)");
        }
        return new StorageSeal(k);
    }

    /** A fresh marker field, with CRLF, for the inner header of one encrypted copy. */
    public String field() {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return FIELD + ": v1; n=" + b.encodeToString(nonce) + "; m=" + b.encodeToString(mac(key, nonce)) + "\r\n";
    }

    /** True if {@code value} (a field value) is a marker this gateway made. */
    public boolean verifies(String value) {
        try {
            String[] p = value.trim().split(";\\s*");
            if (p.length != 3 || !p[0].equals("v1") || !p[1].startsWith("n=") || !p[2].startsWith("m=")) {
                return false;
            }
            Base64.Decoder d = Base64.getUrlDecoder();
            byte[] nonce = d.decode(p[1].substring(2));
            byte[] m = d.decode(p[2].substring(2));
            return MessageDigest.isEqual(mac(key, nonce), m) || (legacy != null && MessageDigest.isEqual(mac(legacy, nonce), m));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] mac(byte[] key, byte[] nonce) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update("mailseal stored copy v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return m.doFinal(nonce);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
