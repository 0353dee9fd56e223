package org.mailseal.bridge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.mailseal.keys.MasterKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's cache of decrypted messages, which must not undo the encryption at rest: one file per
 * message, AES-256-GCM with a fresh random nonce per record and the record's identity (user, mailbox,
 * UIDVALIDITY, UID) bound in as associated data, so a record moved, swapped or cut is refused. The file
 * name is an HMAC of that identity: no mailbox name, address or subject lies in the clear, and there is no
 * other index. The two keys come from 64 random bytes sealed under the master key ({@code cache.key}); a key
 * that no longer opens (the master key was rotated) starts an empty cache: a re-fetch, never a new
 * UIDVALIDITY for the client. Least recently used records go first when the cache outgrows its size.
 */
final class Cache {

    private static final Logger log = LoggerFactory.getLogger("bridge");
    private static final byte[] KEY_AAD = "mailseal bridge cache key v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final SecretKeySpec enc;
    private final SecretKeySpec mac;
    private final long cap;
    private final AtomicLong size = new AtomicLong();

    Cache(Path dir, MasterKey master, long cap) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.cap = cap;
        Path keyFile = dir.resolve("cache.key");
        byte[] keys = null;
        if (Files.exists(keyFile)) {
            try {
                keys = master.open(Files.readAllBytes(keyFile), KEY_AAD);
            } catch (org.mailseal.crypto.KeyStoreException e) {
                log.warn("bridge cache: its key does not open under the master key (rotated?): starting an empty cache");
            }
        }
        if (keys == null) {
            wipe();
            keys = new byte[64];
            RANDOM.nextBytes(keys);
            Path t = dir.resolve("cache.key.tmp");
            Files.write(t, master.seal(keys, KEY_AAD));
            Files.move(t, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        enc = new SecretKeySpec(keys, 0, 32, "AES");
        mac = new SecretKeySpec(keys, 32, 32, "HmacSHA256");
        java.util.Arrays.fill(keys, (byte) 0);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.rec")) {
            for (Path p : ds) {
                size.addAndGet(Files.size(p));
            }
        }
    }

    private void wipe() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.rec")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A record's identity, as bytes (for the AAD and the file name). */
    static byte[] id(String user, String mailbox, long uidValidity, long uid) {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] m = mailbox.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + u.length + 4 + m.length + 16).putInt(u.length).put(u).putInt(m.length).put(m)
                .putLong(uidValidity).putLong(uid).array();
    }

    private Path file(byte[] id) {
        try {
            Mac h = Mac.getInstance("HmacSHA256");
            h.init(mac);
            return dir.resolve(HexFormat.of().formatHex(h.doFinal(id)) + ".rec");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached plaintext of a message, if any (and intact). */
    Optional<byte[]> get(byte[] id) {
        Path f = file(id);
        try {
            byte[] plain = org.mailseal.crypto.AesGcm.open(enc, Files.readAllBytes(f), id);
            Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis()));
            return Optional.of(plain);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | GeneralSecurityException e) {
            log.warn("bridge cache: a record did not open ({}); fetched again", e.getClass().getSimpleName());
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // the next put replaces it
            }
            return Optional.empty();
        }
    }

    void put(byte[] id, byte[] plain) throws IOException {
        byte[] rec;
        try {
            rec = org.mailseal.crypto.AesGcm.seal(enc, plain, id);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM unavailable", e);
        }
        Path f = file(id);
        Path t = f.resolveSibling(f.getFileName() + ".tmp");
        Files.write(t, rec);
        long old = Files.exists(f) ? Files.size(f) : 0;
        Files.move(t, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (size.addAndGet(rec.length - old) > cap) {
            evict();
        }
    }

    // Oldest access first, down to 90% of the cap.
    private synchronized void evict() throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.rec")) {
            ds.forEach(all::add);
        }
        all.sort((a, b) -> {
            try {
                return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
            } catch (IOException e) {
                return 0;
            }
        });
        for (Path p : all) {
            if (size.get() <= cap * 9 / 10) {
                break;
            }
            long n = Files.size(p);
            if (Files.deleteIfExists(p)) {
                size.addAndGet(-n);
            }
        }
    }
}
