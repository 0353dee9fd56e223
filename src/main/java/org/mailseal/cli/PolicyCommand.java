package org.mailseal.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.mailseal.config.MailsealConfig;
import org.mailseal.mail.Address;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.PolicyStore;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Per-user encryption policy. Values inherit built-in default <- global (policy:) <- domain (domains.policies) <- user.",
        subcommands = {PolicyCommand.Set.class, PolicyCommand.Show.class})
public final class PolicyCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set user overrides: encrypt=mandatory|opportunistic|never, onMissingKey=tempfail|reject|deliver|generate, subjectPlaceholder=TEXT. KEY= removes an override.")
    static final class Set implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--email", required = true, paramLabel = "ADDRESS")
        String email;

        @Parameters(paramLabel = "KEY=VALUE", arity = "1..*")
        Map<String, String> settings;

        @Override
        public Integer call() throws Exception {
            MailsealConfig c = config.load();
            Address.parse(email);
            settings.forEach((k, v) -> {
                if (!v.isEmpty()) {
                    PolicyResolver.validate(k, v);
                } else if (!PolicyResolver.SETTINGS.contains(k)) {
                    PolicyResolver.validate(k, "x");
                }
            });
            try (Database db = Database.open(c)) {
                PolicyStore s = new PolicyStore(db.dataSource());
                for (Map.Entry<String, String> e : settings.entrySet()) {
                    s.set(email, e.getKey(), e.getValue().isEmpty() ? null : e.getValue());
                    System.out.println(e.getValue().isEmpty() ? "removed " + e.getKey() : "set " + e.getKey() + "=" + e.getValue());
                }
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print each effective value and where it came from.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--email", required = true, paramLabel = "ADDRESS")
        String email;

        @Override
        public Integer call() throws Exception {
            MailsealConfig c = config.load();
            try (Database db = Database.open(c)) {
                PolicyResolver.Effective e = new PolicyResolver(c, new PolicyStore(db.dataSource())).resolve(Address.parse(email));
                e.values().forEach((k, v) -> System.out.println(k + "=" + v.value() + "  (" + v.source() + ")"));
            }
            return 0;
        }
    }
}
