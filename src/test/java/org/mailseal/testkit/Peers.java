package org.mailseal.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * External peers (swaks, postfix, gpg...). A test that needs one skips with a message naming the Debian
 * package when it is missing; under CI ({@code MAILSEAL_REQUIRE_PEERS=1}, set by .ci/run) a missing peer
 * fails the test instead, so CI can never pass by skipping.
 */
public final class Peers {
    private Peers() {
    }

    /** Skips (or, under CI, fails) unless running as root, naming why root is needed. */
    public static void requireRoot(String why) {
        if ("root".equals(System.getProperty("user.name"))) {
            return;
        }
        String msg = "needs root: " + why;
        if ("1".equals(System.getenv("MAILSEAL_REQUIRE_PEERS"))) {
            Assertions.fail(msg + " -- required under CI");
        }
        Assumptions.abort(msg);
    }

    /** True under CI ({@code MAILSEAL_REQUIRE_PEERS=1}): a missing peer fails instead of skipping. */
    public static boolean required() {
        return "1".equals(System.getenv("MAILSEAL_REQUIRE_PEERS"));
    }

    /** Null if {@code command} (or an absolute path) is there; else the message naming the package. */
    public static String missing(String command, String debianPackage) {
        if (command.startsWith("/") ? Files.exists(Path.of(command)) : find(command) != null) {
            return null;
        }
        return notFound(command, debianPackage);
    }

    // A "package" with a space in it is already the whole instruction (e.g. a peer that is unpacked, not installed).
    private static String notFound(String command, String debianPackage) {
        if (debianPackage.contains(" ")) {
            return command + " not found: " + debianPackage;
        }
        return command + " not found: install the Debian package '" + debianPackage + "' (apt-get install " + debianPackage + ")";
    }

    /** An absolute path a test needs, or a skip (a failure under CI) with {@code how} to get it. */
    public static String requirePath(String path, String how) {
        if (Files.exists(Path.of(path))) {
            return path;
        }
        String msg = notFound(path, how);
        if (required()) {
            Assertions.fail(msg + " -- required under CI");
        }
        Assumptions.abort(msg);
        return null;
    }

    private static String find(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/usr/lib/postfix/sbin"}) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    public static String require(String command, String debianPackage) {
        String found = find(command);
        if (found != null) {
            return found;
        }
        String msg = notFound(command, debianPackage);
        if (required()) {
            Assertions.fail(msg + " -- required under CI");
        }
        Assumptions.abort(msg);
        return null;
    }
}
