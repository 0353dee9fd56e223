package org.mailseal.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads a password or passphrase: the first line of FILE, of standard input ({@code -}), or from the terminal. */
final class Secrets {

    private Secrets() {
    }

    /**
     * @param file    FILE, {@code -} for standard input, or null for the terminal
     * @param option  the option that names FILE, for the error without a terminal
     * @param confirm on the terminal, ask twice and compare
     */
    static char[] read(Path file, String option, String prompt, boolean confirm) throws IOException {
        if (file != null) {
            String s = file.toString().equals("-")
                    ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("")
                    : Files.readString(file).lines().findFirst().orElse("");
            return s.toCharArray();
        }
        Console con = System.console();
        if (con == null) {
            throw new IllegalArgumentException("no terminal: use " + option + " FILE or " + option + " -");
        }
        char[] a = con.readPassword(prompt);
        if (confirm) {
            char[] b = con.readPassword("Again: ");
            if (a == null || b == null || !Arrays.equals(a, b)) {
                throw new IllegalArgumentException("passwords do not match");
            }
        }
        return a == null ? new char[0] : a;
    }
}
