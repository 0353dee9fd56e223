package org.mailseal.spool;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk spool. Each message streams into {@code <dataDir>/spool/incoming/<queueId>}; nothing
 * holds a whole message in memory.
 *
 * <p>In proxy mode the client gets no 250 until the next hop accepted, so a file left here by a crash
 * belongs to a transaction the client will retry: {@link #recover()} removes such files.
 */
public final class Spool {

    private static final Logger log = LoggerFactory.getLogger("spool");

    private final Path incoming;
    private final Path work;
    private final boolean fsync;
    /** The work files of each message in flight, so settling one needs no directory scan. */
    private final Map<String, Queue<Path>> workFiles = new ConcurrentHashMap<>();

    /**
     * @param fsync whether {@link SpoolFile#commit()} forces the data to disk. In proxy mode it need not:
     *              the client gets 250 only once the next hop has the message, and a crash before that
     *              leaves the client without a 250, so it resends. A mode that answers 250 on the
     *              strength of the spool (queueing, quarantine) must fsync.
     */
    public Spool(Path dataDir, boolean fsync) throws IOException {
        this.fsync = fsync;
        this.incoming = dataDir.resolve("spool").resolve("incoming");
        this.work = dataDir.resolve("spool").resolve("work");
        Files.createDirectories(incoming);
        Files.createDirectories(work);
    }

    /** Creates the spool file for {@code queueId} and writes {@code prefix} (the trace header) first. */
    public SpoolFile create(String queueId, byte[] prefix) throws IOException {
        Path p = incoming.resolve(queueId);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        SpoolFile f = new SpoolFile(queueId, p, ch, fsync);
        try {
            f.out().write(prefix);
        } catch (IOException e) {
            f.discard();
            throw e;
        }
        return f;
    }

    /** A scratch file for a transformed copy of a message (later stages: encryption). */
    public Path workFile(String queueId, String suffix) throws IOException {
        Path p = Files.createTempFile(work, queueId + "-", suffix);
        workFiles.computeIfAbsent(queueId, q -> new ConcurrentLinkedQueue<>()).add(p);
        return p;
    }

    /** Deletes the work files of a message once its delivery is settled. */
    public void cleanWork(String queueId) {
        Queue<Path> files = workFiles.remove(queueId);
        if (files == null) {
            return;
        }
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.warn("{}: cannot remove work file {}: {}", queueId, p.getFileName(), e.getMessage());
            }
        }
    }

    /** Removes files left by a crash; their clients never got a 250 and will send again. */
    public int recover() throws IOException {
        int n = 0;
        for (Path dir : new Path[] {incoming, work}) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    log.warn("{}: removing spool file left by an earlier crash; the client was not answered 250 and will retry",
                            p.getFileName());
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        }
        return n;
    }

    /** One spooled message. */
    public static final class SpoolFile {
        private final String queueId;
        private final Path path;
        private final FileChannel channel;
        private final OutputStream out;
        private final boolean fsync;

        SpoolFile(String queueId, Path path, FileChannel channel, boolean fsync) {
            this.fsync = fsync;
            this.queueId = queueId;
            this.path = path;
            this.channel = channel;
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 65536);
        }

        public String queueId() {
            return queueId;
        }

        public Path path() {
            return path;
        }

        public OutputStream out() {
            return out;
        }

        /** Flushes, and fsyncs where the spool is the guarantee (RFC 5321 §6.1). */
        public void commit() throws IOException {
            out.flush();
            if (fsync) {
                channel.force(true);
            }
            channel.close();
        }

        public long size() throws IOException {
            return Files.size(path);
        }

        public InputStream open() throws IOException {
            return Files.newInputStream(path);
        }

        public void discard() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // deleting anyway
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("{}: cannot remove spool file: {}", queueId, e.getMessage());
            }
        }
    }
}
