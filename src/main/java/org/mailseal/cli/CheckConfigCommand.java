package org.mailseal.cli;

import java.util.concurrent.Callable;
import org.mailseal.config.MailsealConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Validate the config file and print the effective settings. Exit code 2 if it is invalid.")
public final class CheckConfigCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        MailsealConfig c = config.load();
        System.out.println("config ok" + (config.file != null ? ": " + config.file : " (built-in defaults)"));
        System.out.println("  hostname:   " + c.hostname());
        System.out.println("  dataDir:    " + c.dataDir().toAbsolutePath());
        System.out.println("  smtp:       " + (c.smtp().enabled() ? c.smtp().listen() : "off"));
        System.out.println("  lmtp:       " + (c.lmtp().enabled() ? c.lmtp().listen() : "off"));
        System.out.println("  relay:      " + c.relay().defaultRoute() + " (tls " + c.relay().tlsFor(null, org.mailseal.config.NextHop.parse(c.relay().defaultRoute())).name().toLowerCase().replace('_', '-') + ")");
        c.relay().routes().forEach((d, r) -> System.out.println("  route:      " + d + " -> " + r.nexthop()));
        System.out.println("  local:      " + String.join(", ", c.domains().local()));
        System.out.println("  trusted:    " + c.networks().trusted());
        System.out.println("  metrics:    " + (c.metrics().enabled() ? "http://" + c.metrics().listen() + "/metrics" : "off"));
        return 0;
    }
}
