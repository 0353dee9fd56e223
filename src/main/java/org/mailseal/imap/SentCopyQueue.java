package org.mailseal.imap;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable queue of Sent copies waiting for their IMAP APPEND: {@code <dataDir>/sent-copies/}, one
 * {@code <queueId>.eml} (already encrypted to the sender) and one {@code <queueId>.user} (the sender's
 * address) per entry, both fsynced, the .eml moved in last so that an entry is complete once it is
 * visible. An entry leaves the queue only after the IMAP server accepted the APPEND.
 */
public final class SentCopyQueue {

    /** One waiting copy. */
    public record Entry(String queueId, String email, Path message) {
    }

    private final Path dir;

    public SentCopyQueue(Path dataDir) throws IOException {
        this.dir = Files.createDirectories(dataDir.resolve("sent-copies"));
    }

    /** How long an appended message's key is remembered, so a late retry of it is not appended again. */
    static final java.time.Duration REMEMBER = java.time.Duration.ofDays(7);

    /**
     * The key of one sent message: its sender, Message-ID and Date (from the copy's outer header, which
     * keeps both). A client that retries after a 4xx sends the same message again under a new queue id;
     * the key is the same, so the Sent folder gets one copy. Without a Message-ID the queue id is the
     * key (no de-duplication: a duplicate is preferred to a loss).
     */
    public static String keyFor(String email, String queueId, Path copy) throws IOException {
        org.mailseal.mime.RawHeader h;
        try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(copy), 16384)) {
            h = org.mailseal.mime.RawHeader.read(in, 1 << 20);
        }
        String key = keyFor(email, h);
        return key != null ? key : queueId;
    }

    /**
     * The key of a message by its sender, Message-ID and Date (null without a Message-ID): the same for the
     * copy mailseal stores after relaying and for the copy a client saves in Sent through the IMAP bridge.
     */
    public static String keyFor(String email, org.mailseal.mime.RawHeader h) {
        String id = h.value("Message-ID");
        if (id == null || id.isBlank()) {
            return null;
        }
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            d.update((email.toLowerCase(java.util.Locale.ROOT) + "\n" + id.trim() + "\n" + String.valueOf(h.value("Date")).trim())
                    .getBytes(StandardCharsets.UTF_8));
            return "m" + java.util.HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Moves {@code copy} (a work file) into the queue for {@code email} under {@code key} ({@link #keyFor}).
     * Returns false if the queue holds or recently appended a copy of this message, or {@code copy} is
     * gone (another group of the same message already queued it).
     */
    public boolean enqueue(String key, String email, Path copy) throws IOException {
        String queueId = key;
        Path user = dir.resolve(queueId + ".user");
        Path eml = dir.resolve(queueId + ".eml");
        if (Files.exists(eml) || Files.exists(dir.resolve(queueId + ".done")) || !Files.exists(copy)) {
            return false;
        }
        Path tmpUser = dir.resolve(queueId + ".user.tmp");
        Files.writeString(tmpUser, email, StandardCharsets.UTF_8);
        fsync(tmpUser);
        Files.move(tmpUser, user, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsync(copy);
        try {
            Files.move(copy, eml, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException | FileAlreadyExistsException e) {
            return false;
        }
        fsync(dir);
        return true;
    }

    /** Whether a copy with this key waits in the queue or was appended within {@link #REMEMBER}. */
    public boolean holdsOrHeld(String key) {
        return Files.exists(dir.resolve(key + ".eml")) || Files.exists(dir.resolve(key + ".done"));
    }

    /** The complete entries, oldest first. */
    public List<Entry> entries() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.eml")) {
            for (Path eml : ds) {
                String qid = eml.getFileName().toString().replaceFirst("\\.eml$", "");
                Path user = dir.resolve(qid + ".user");
                if (Files.exists(user)) {
                    out.add(new Entry(qid, Files.readString(user, StandardCharsets.UTF_8).trim(), eml));
                }
            }
        }
        out.sort((a, b) -> {
            try {
                return Files.getLastModifiedTime(a.message()).compareTo(Files.getLastModifiedTime(b.message()));
            } catch (IOException e) {
                return 0;
            }
        });
        return out;
    }

    /** Removes an entry whose APPEND succeeded, remembering its key for {@link #REMEMBER}. */
    public void done(Entry e) throws IOException {
        Files.writeString(dir.resolve(e.queueId() + ".done"), "", StandardCharsets.US_ASCII);
        Files.deleteIfExists(e.message());
        Files.deleteIfExists(dir.resolve(e.queueId() + ".user"));
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(REMEMBER));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.done")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).compareTo(old) < 0) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
