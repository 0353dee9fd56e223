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
 * copies): {@code X-Mailseal-Sealed: v2; n=<nonce>; m=<HMAC-SHA256(key, nonce || digest)>}, the last field
 * of the encrypted header, where the digest is SHA-256 of the inner header before it and of the body: the
 * seal vouches for that very message. The outbound path never relays what carries a valid one, so a
 * provider cannot resend a stored message (even one with a user's signature inside) as the user to have
 * mailseal decrypt it; the IMAP bridge shows the inner header only under a seal that fits the message, so
 * a seal copied out of one message (any user can read the ones in their own mail) vouches for no other.
 * The first format, {@code v1}, was the HMAC of the nonce alone: still recognised ({@link Check#LEGACY})
 * so old stored copies are still never relayed, but it proves nothing about the message it sits in.
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

    /** What a marker says of the message it sits in. */
    public enum Check {
        /** not a marker this gateway made */
        NONE,
        /** a v1 marker this gateway made: a stored copy, but the marker is bound to no message */
        LEGACY,
        /** a v2 marker this gateway made for exactly this message */
        BOUND
    }

    /**
     * A fresh marker field, with CRLF, for one encrypted copy: {@code digest} is {@link #digest} of its inner
     * header (without the marker, which goes after it) and its body.
     */
    public String field(byte[] digest) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return FIELD + ": v2; n=" + b.encodeToString(nonce) + "; m=" + b.encodeToString(mac(key, "v2", nonce, digest)) + "\r\n";
    }

    /** What the marker field {@code value} is, in the message whose {@link #digest} is {@code digest}. */
    public Check check(String value, byte[] digest) {
        try {
            String[] p = value.trim().split(";\\s*");
            if (p.length != 3 || !p[1].startsWith("n=") || !p[2].startsWith("m=") || !(p[0].equals("v1") || p[0].equals("v2"))) {
                return Check.NONE;
            }
            Base64.Decoder d = Base64.getUrlDecoder();
            byte[] nonce = d.decode(p[1].substring(2));
            byte[] m = d.decode(p[2].substring(2));
            byte[] bound = p[0].equals("v1") ? new byte[0] : digest;
            boolean made = MessageDigest.isEqual(mac(key, p[0], nonce, bound), m) || (legacy != null && MessageDigest.isEqual(mac(legacy, p[0], nonce, bound), m));
            return !made ? Check.NONE : p[0].equals("v1") ? Check.LEGACY : Check.BOUND;
        } catch (IllegalArgumentException e) {
            return Check.NONE;
        }
    }

    /** SHA-256 of an inner header's bytes (its fields, without the blank line) and of the body that follows. */
    public static byte[] digest(byte[] header, java.io.InputStream body) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(java.nio.ByteBuffer.allocate(8).putLong(header.length).array());
            sha.update(header);
            byte[] buf = new byte[65536];
            for (int n; (n = body.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return sha.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #digest} of a decrypted inner header as it was before its marker was added, and of its body. */
    public static byte[] digest(org.mailseal.mime.RawHeader inner, java.io.InputStream body) throws IOException {
        java.io.ByteArrayOutputStream h = new java.io.ByteArrayOutputStream();
        for (org.mailseal.mime.RawHeader.Field f : inner.fields()) {
            if (!f.is(FIELD)) {
                h.writeBytes(f.raw());
            }
        }
        return digest(h.toByteArray(), body);
    }

    private static byte[] mac(byte[] key, String version, byte[] nonce, byte[] digest) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(("mailseal stored copy " + version).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            m.update(nonce);
            return m.doFinal(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
