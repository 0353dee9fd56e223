package org.mailseal.testkit;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** mailseal {@code serve} in its own JVM, so tests can SIGTERM or kill -9 it. */
public final class GatewayProcess implements AutoCloseable {

    private final Process process;
    public final Path log;

    private GatewayProcess(Process p, Path log) {
        this.process = p;
        this.log = log;
    }

    public static GatewayProcess start(Path config, Path log, int smtpPort) throws Exception {
        return start(config, log, smtpPort, "256m");
    }

    /** With the gateway JVM's heap limited to {@code maxHeap} ({@code -Xmx}). */
    public static GatewayProcess start(Path config, Path log, int smtpPort, String maxHeap) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return start(List.of("-Xmx" + maxHeap, "-cp", cp, "org.mailseal.cli.Main"), config, log, smtpPort);
    }

    /** The gateway of an executable jar: this build's {@code target/mailseal.jar}, or another release's. */
    public static GatewayProcess startJar(Path jar, Path config, Path log, int smtpPort) throws Exception {
        return start(List.of("-Xmx256m", "-jar", jar.toString()), config, log, smtpPort);
    }

    private static GatewayProcess start(List<String> javaArgs, Path config, Path log, int smtpPort) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        cmd.addAll(javaArgs);
        cmd.addAll(List.of("serve", "--config", config.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        GatewayProcess g = new GatewayProcess(p, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("gateway exited: " + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", smtpPort)) {
                return g;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        g.kill9();
        throw new IllegalStateException("gateway did not start: " + Files.readString(log));
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, then wait for the exit code. */
    public int terminate(Duration wait) throws Exception {
        process.destroy();
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("gateway did not exit after SIGTERM");
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** kill -9: no shutdown hook runs. */
    public void kill9() throws Exception {
        new ProcessBuilder("kill", "-9", String.valueOf(process.pid())).start().waitFor();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * A graceful stop (SIGTERM, up to 15 s), kill -9 only if that does not end it. Crash tests call
     * {@link #kill9} themselves; an ordinary end of a test must not leave the H2 store unclean, whose
     * recovery in H2 2.5.252 now and then fails at the next gateway's start (a CI failure of
     * SendmailMilterTest: "MVStoreException: NullPointerException: Cannot read field time").
     */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                kill9();
            }
        }
    }

}
