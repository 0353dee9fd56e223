package org.mailseal.cli;

import java.nio.file.Path;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import picocli.CommandLine.Option;

/** The shared {@code --config FILE} option. */
public final class ConfigOption {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML config file (default: built-in defaults).")
    Path file;

    MailsealConfig load() {
        return ConfigLoader.load(file);
    }
}
