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

    /**
     * Moves {@code copy} (a work file) into the queue for {@code email}. Returns false if the queue
     * already holds a copy of this message, or {@code copy} is gone (another group of the same message
     * already queued it).
     */
    public boolean enqueue(String queueId, String email, Path copy) throws IOException {
        Path user = dir.resolve(queueId + ".user");
        Path eml = dir.resolve(queueId + ".eml");
        if (Files.exists(eml) || !Files.exists(copy)) {
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

    /** Removes an entry whose APPEND succeeded. */
    public void done(Entry e) throws IOException {
        Files.deleteIfExists(e.message());
        Files.deleteIfExists(dir.resolve(e.queueId() + ".user"));
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
