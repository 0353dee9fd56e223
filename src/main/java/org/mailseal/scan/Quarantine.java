package org.mailseal.scan;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.keys.MasterKey;

/**
 * Quarantined mail in {@code <dataDir>/quarantine}, encrypted at rest: each message under its own keys
 * (AES-256-CTR, then HMAC-SHA-256 over IV and ciphertext, checked before any byte is decrypted), those
 * keys and the envelope in a metadata record sealed under the master key. Streams both ways.
 */
public final class Quarantine {

    /** The header field that carries a released message's quarantine id (re-checked, never trusted, on the way). */
    public static final String RELEASED_FIELD = "X-Mailseal-Released";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One quarantined message's envelope and why it is here. */
    public record Entry(String id, String queueId, String from, List<String> recipients, String reason, long atEpochMilli, long size,
                        byte[] encKey, byte[] macKey) {
        public Instant at() {
            return Instant.ofEpochMilli(atEpochMilli);
        }
    }

    private final Path dir;
    private final MasterKey masterKey;

    /** {@code dir}: the entries' directory ({@code quarantine.dir}, by default {@code <dataDir>/quarantine}). */
    public Quarantine(Path dir, MasterKey masterKey) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.masterKey = masterKey;
    }

    /** Stores {@code message}; returns the entry id. Durable (fsync) before it returns. */
    public String put(String queueId, String from, List<String> recipients, String reason, Path message) throws IOException {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String hex = HexFormat.of().formatHex(id);
        byte[] enc = random(32);
        byte[] mac = random(32);
        Path msg = dir.resolve(hex + ".msg");
        try {
            byte[] iv = random(16);
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(mac, "HmacSHA256"));
            Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(enc, "AES"), new IvParameterSpec(iv));
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(msg, StandardOpenOption.CREATE_NEW), 65536)) {
                file.write(iv);
                m.update(iv);
                OutputStream macd = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        file.write(b);
                        m.update((byte) b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        file.write(b, off, len);
                        m.update(b, off, len);
                    }
                };
                try (CipherOutputStream co = new CipherOutputStream(new org.mailseal.mime.NonClosingOutputStream(macd), c);
                     InputStream in = Files.newInputStream(message)) {
                    in.transferTo(co);
                }
                file.write(m.doFinal());
            }
            fsync(msg);
            Entry e = new Entry(hex, queueId, from, List.copyOf(recipients), reason, System.currentTimeMillis(), Files.size(message), enc, mac);
            Path meta = dir.resolve(hex + ".meta");
            Files.write(meta, masterKey.seal(JSON.writeValueAsBytes(e), hex.getBytes(StandardCharsets.US_ASCII)), StandardOpenOption.CREATE_NEW);
            fsync(meta);
            fsync(dir);
            return hex;
        } catch (GeneralSecurityException e) {
            Files.deleteIfExists(msg);
            throw new IOException("quarantine encryption unavailable: " + e.getMessage(), e);
        }
    }

    /** All entries, oldest first. */
    public List<Entry> list() throws IOException, KeyStoreException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.meta")) {
            for (Path p : ds) {
                out.add(entry(p.getFileName().toString().replaceFirst("\\.meta$", "")));
            }
        }
        out.sort((a, b) -> a.at().compareTo(b.at()));
        return out;
    }

    public Entry entry(String id) throws IOException, KeyStoreException {
        if (!id.matches("[0-9a-f]{32}")) {
            throw new IOException("no such quarantine entry: " + id);
        }
        Path meta = dir.resolve(id + ".meta");
        if (!Files.exists(meta)) {
            throw new IOException("no such quarantine entry: " + id);
        }
        return JSON.readValue(masterKey.open(Files.readAllBytes(meta), id.getBytes(StandardCharsets.US_ASCII)), Entry.class);
    }

    /** Writes the message of {@code e} to {@code out}, after checking its MAC over the whole file. */
    public void open(Entry e, OutputStream out) throws IOException {
        Path msg = dir.resolve(e.id() + ".msg");
        long len = Files.size(msg);
        if (len < 16 + 32) {
            throw new IOException("quarantine entry " + e.id() + " is damaged");
        }
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(e.macKey(), "HmacSHA256"));
            byte[] tag;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(msg), 65536)) {
                byte[] buf = new byte[65536];
                long left = len - 32;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    m.update(buf, 0, n);
                    left -= n;
                }
                tag = in.readAllBytes();
            }
            if (!MessageDigest.isEqual(tag, m.doFinal())) {
                throw new IOException("quarantine entry " + e.id() + " is damaged (MAC)");
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(msg), 65536)) {
                byte[] iv = in.readNBytes(16);
                Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(e.encKey(), "AES"), new IvParameterSpec(iv));
                byte[] buf = new byte[65536];
                long left = len - 16 - 32;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    out.write(c.update(buf, 0, n));
                    left -= n;
                }
                out.write(c.doFinal());
            }
        } catch (GeneralSecurityException ex) {
            throw new IOException("quarantine decryption unavailable: " + ex.getMessage(), ex);
        }
    }

    /** The message's header section (up to the empty line, at most {@code max} bytes), for the admin to look at. */
    public byte[] headerSection(Entry e, int max) throws IOException {
        final class Enough extends IOException {
            Enough() {
                super(null, null);
            }
        }
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        try {
            open(e, new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                private int last3;

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    for (int i = off; i < off + len; i++) {
                        head.write(b[i]);
                        last3 = ((last3 << 8) | (b[i] & 0xFF)) & 0xFFFFFF;
                        if (head.size() >= max || (last3 & 0xFFFF) == 0x0A0A || last3 == 0x0A0D0A) {
                            throw new Enough();
                        }
                    }
                }
            });
        } catch (Enough done) {
            // the header section is complete
        }
        return head.toByteArray();
    }

    public boolean delete(String id) throws IOException {
        boolean a = Files.deleteIfExists(dir.resolve(id + ".msg"));
        boolean b = Files.deleteIfExists(dir.resolve(id + ".meta"));
        Files.deleteIfExists(dir.resolve(id + ".releasing"));
        return a || b;
    }

    /** Marks an entry as being released: the scan stage lets a message with this id through once. */
    public void markReleasing(String id) throws IOException {
        Files.writeString(dir.resolve(id + ".releasing"), Instant.now().toString());
    }

    public void unmarkReleasing(String id) throws IOException {
        Files.deleteIfExists(dir.resolve(id + ".releasing"));
    }

    public boolean isReleasing(String id) {
        return id.matches("[0-9a-f]{32}") && Files.exists(dir.resolve(id + ".releasing"));
    }

    /** Deletes entries older than {@code retention}; returns how many. */
    public int purge(Duration retention) throws IOException, KeyStoreException {
        int n = 0;
        Instant limit = Instant.now().minus(retention);
        for (Entry e : list()) {
            if (e.at().isBefore(limit) && delete(e.id())) {
                n++;
            }
        }
        return n;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
