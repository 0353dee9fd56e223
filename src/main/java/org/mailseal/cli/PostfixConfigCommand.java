package org.mailseal.cli;

import java.util.concurrent.Callable;
import org.mailseal.postfix.PostfixConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "postfix-config", mixinStandardHelpOptions = true,
        description = "Print the main.cf and master.cf lines that run mailseal as Postfix's after-queue content filter, for this config.")
public final class PostfixConfigCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--lmtp", description = "Hand mail to mailseal over LMTP (per-recipient replies) instead of SMTP.")
    boolean lmtp;

    @Override
    public Integer call() {
        System.out.print(PostfixConfig.render(config.load(), lmtp));
        return 0;
    }
}
