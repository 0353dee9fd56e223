package org.mailseal.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** GnuPG in a private home directory, non-interactive, trusting every key (tests only). */
public final class Gpg {

    private final String gpg;
    private final Path home;

    public Gpg(Path home) throws Exception {
        this.gpg = Peers.require("gpg", "gnupg");
        this.home = Files.createDirectories(home);
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    public Path home() {
        return home;
    }

    /** Runs gpg and requires success. */
    public Cmd.Result run(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(gpg, "--homedir", home.toString(), "--batch", "--yes", "--pinentry-mode", "loopback",
                "--trust-model", "always"));
        a.addAll(List.of(args));
        return Cmd.run(a.toArray(new String[0])).ok("gpg " + String.join(" ", args));
    }

    /** Runs {@code gpg --verify SIG DATA}, returning the result whatever it is. */
    public Cmd.Result verify(Path sig, Path data) throws Exception {
        return Cmd.run(gpg, "--homedir", home.toString(), "--batch", "--verify", sig.toString(), data.toString());
    }

    /** Stops the agent this home started. */
    public void stop() throws Exception {
        Cmd.run("gpgconf", "--homedir", home.toString(), "--kill", "all");
    }
}
