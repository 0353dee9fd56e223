package org.mailseal.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Postfix's smtp-sink as the final destination, dumping every message into a directory (-d). */
public final class SmtpSinkProcess implements AutoCloseable {

    private final Process process;
    private final Path dumps;

    private SmtpSinkProcess(Process p, Path dumps) {
        this.process = p;
        this.dumps = dumps;
    }

    public static SmtpSinkProcess start(int port, String... options) throws Exception {
        String sink = Peers.require("smtp-sink", "postfix");
        Path dumps = Files.createTempDirectory("smtp-sink");
        Files.setPosixFilePermissions(dumps, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> args = new ArrayList<>(List.of(sink, "-u", "nobody", "-c", "-d", dumps + "/%M."));
        args.addAll(List.of(options));
        args.add("127.0.0.1:" + port);
        args.add("256");
        Process p = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        TestGateway.waitForPort(port, Duration.ofSeconds(10));
        return new SmtpSinkProcess(p, dumps);
    }

    /**
     * The dumped messages (each with smtp-sink's own X- and Received lines on top). smtp-sink creates a dump
     * file when the transaction starts and writes it through a buffer, so a file counts only once it is
     * non-empty and its size has not changed for {@link #SETTLE}; this waits until every file present has
     * settled.
     */
    public List<String> messages() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (settled().size() < files().size() && System.nanoTime() < deadline) {
            sleep();
        }
        List<String> out = new ArrayList<>();
        for (Path p : settled()) {
            out.add(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    /** How many dump files are complete (see {@link #messages()}). */
    public long count() throws IOException {
        return settled().size();
    }

    private static final Duration SETTLE = Duration.ofMillis(300);

    private record Seen(long size, long sinceNanos) {
    }

    private final java.util.Map<Path, Seen> seen = new java.util.concurrent.ConcurrentHashMap<>();

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dumps)) {
            return s.sorted().toList();
        }
    }

    private synchronized List<Path> settled() throws IOException {
        long now = System.nanoTime();
        List<Path> done = new ArrayList<>();
        for (Path p : files()) {
            long size = Files.size(p);
            Seen before = seen.get(p);
            if (before == null || before.size() != size) {
                seen.put(p, new Seen(size, now));
            } else if (size > 0 && now - before.sinceNanos() >= SETTLE.toNanos()) {
                done.add(p);
            }
        }
        return done;
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
        Cmd.run("rm", "-rf", dumps.toString());
    }
}
