package org.mailseal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code mailseal}: the command line. Exit codes: 0 ok, 1 runtime failure, 2 bad config or usage. */
@Command(name = "mailseal", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Email encryption gateway.",
        subcommands = {ServeCommand.class, DemoCommand.class, CheckConfigCommand.class, VersionCommand.class, QuarantineCommand.class,
                UsersCommand.class, KeysCommand.class, CertsCommand.class, CaCommand.class, PolicyCommand.class, PdfCommand.class, DkimCommand.class, WkdCommand.class, DnsRecordsCommand.class, BackupCommand.class, RestoreCommand.class, ApiTokenCommand.class, PostfixConfigCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        org.mailseal.crypto.Providers.register();
        return new CommandLine(new Main())
                .setExitCodeExceptionMapper(e -> e instanceof org.mailseal.config.ConfigException ? 2 : 1)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof org.mailseal.config.ConfigException) {
                        cmd.getErr().println("mailseal: config error: " + e.getMessage());
                        return 2;
                    }
                    cmd.getErr().println("mailseal: " + e.getMessage());
                    org.slf4j.LoggerFactory.getLogger("mailseal").debug("failure", e);
                    return 1;
                })
                .execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
