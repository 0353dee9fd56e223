package org.mailseal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version.")
public final class VersionCommand implements Runnable {

    public static String version() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    @Override
    public void run() {
        System.out.println("mailseal " + version() + " (Java " + System.getProperty("java.version") + ")");
    }

    /** For {@code mailseal --version}. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mailseal " + version()};
        }
    }
}
