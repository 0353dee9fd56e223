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

    /** The dumped messages (each with smtp-sink's own X- and Received lines on top). */
    public List<String> messages() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dumps)) {
            for (Path p : s.sorted().toList()) {
                out.add(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return out;
    }

    public long count() throws IOException {
        try (Stream<Path> s = Files.list(dumps)) {
            return s.count();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
        Cmd.run("rm", "-rf", dumps.toString());
    }
}
