package org.mailseal.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external program with a timeout and returns its exit code, stdout and stderr. */
public final class Cmd {

    public record Result(int code, byte[] out, String err) {
        public String outText() {
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        }

        public Result ok(String what) {
            if (code != 0) {
                throw new AssertionError(what + " failed (exit " + code + "): " + err);
            }
            return this;
        }
    }

    private Cmd() {
    }

    public static Result run(Path stdin, Map<String, String> env, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(List.of(args));
        pb.environment().putAll(env);
        File err = File.createTempFile("cmd", ".err");
        File out = File.createTempFile("cmd", ".out");
        try {
            pb.redirectError(err).redirectOutput(out);
            pb.redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin.toFile()) : ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timeout: " + String.join(" ", args));
            }
            return new Result(p.exitValue(), Files.readAllBytes(out.toPath()), Files.readString(err.toPath()));
        } finally {
            err.delete();
            out.delete();
        }
    }

    public static Result run(String... args) throws IOException, InterruptedException {
        return run(null, Map.of(), args);
    }

    public static String[] concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l.toArray(new String[0]);
    }
}
