package org.mailseal.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real server (clamd, spamd, rspamd...) started by a test on loopback and stopped by its own PID. */
public final class Daemon implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final String name;

    private Daemon(String name, Process p, Path log) {
        this.name = name;
        this.process = p;
        this.log = log;
    }

    /** Starts {@code command} and waits until something listens on {@code port}; fails with the daemon's log. */
    public static Daemon start(String name, List<String> command, Map<String, String> env, Path log, int port, Duration wait) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Daemon d = new Daemon(name, pb.start(), log);
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            if (!d.process.isAlive()) {
                throw new AssertionError(name + " exited with " + d.process.exitValue() + ": " + Files.readString(log));
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return d;
            } catch (java.io.IOException e) {
                Thread.sleep(200);
            }
        }
        d.close();
        throw new AssertionError(name + " did not listen on " + port + " within " + wait + ": " + Files.readString(log));
    }

    public String log() throws Exception {
        return Files.readString(log);
    }

    /** SIGTERM to this daemon's PID (its workers follow), then SIGKILL if it lingers. */
    @Override
    public void close() throws Exception {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle w : workers) {
            try {
                w.onExit().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                w.destroyForcibly();
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
