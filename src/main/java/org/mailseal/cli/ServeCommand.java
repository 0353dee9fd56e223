package org.mailseal.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.mailseal.Gateway;
import org.mailseal.config.MailsealConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the gateway. SIGTERM stops accepting, lets transactions in flight finish, and exits.")
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        MailsealConfig c = config.load();
        Gateway g = Gateway.start(c);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            g.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
