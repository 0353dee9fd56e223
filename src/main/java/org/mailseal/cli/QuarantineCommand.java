package org.mailseal.cli;

import java.time.Duration;
import org.mailseal.scan.Quarantine;
import org.mailseal.scan.QuarantineRelease;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "quarantine", mixinStandardHelpOptions = true, description = "Quarantined mail (sealed at rest).",
        subcommands = {QuarantineCommand.ListEntries.class, QuarantineCommand.Show.class, QuarantineCommand.Release.class,
                QuarantineCommand.Delete.class, QuarantineCommand.Purge.class})
public final class QuarantineCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            return run(new Quarantine(cfg.quarantine().dirIn(cfg.dataDir()), master()));
        }

        abstract int run(Quarantine q) throws Exception;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List entries: id, time, queue id, size, sender, recipients, reason.")
    static final class ListEntries extends Base {
        @Override
        int run(Quarantine q) throws Exception {
            for (Quarantine.Entry e : q.list()) {
                System.out.println(e.id() + "  " + e.at() + "  " + e.queueId() + "  " + e.size() + "  <" + e.from() + "> -> " + e.recipients()
                        + "  " + e.reason());
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a quarantined message.")
    static final class Show extends Base {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int run(Quarantine q) throws Exception {
            q.open(q.entry(id), System.out);
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true,
            description = "Send the message on through the running gateway (SMTP listener), so it is encrypted as usual; then delete the entry.")
    static final class Release extends Base {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int run(Quarantine q) throws Exception {
            String reply;
            try (org.mailseal.relay.RelayClient client = new org.mailseal.relay.RelayClient(cfg.relay(), cfg.hostname(), new org.mailseal.dns.DnsResolver(cfg.dns()), null,
                    org.mailseal.transport.MtaStsClient.PolicyStore.NONE)) { // to its own listener: no MTA-STS
                reply = QuarantineRelease.release(q, q.entry(id), client, cfg.smtp().listen(), java.nio.file.Files.createDirectories(cfg.dataDir()));
            }
            System.out.println("released " + id + ": " + reply);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an entry.")
    static final class Delete extends Base {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int run(Quarantine q) throws Exception {
            System.out.println(q.delete(id) ? "deleted " + id : "no such entry " + id);
            return 0;
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true, description = "Delete entries older than quarantine.retention (or --older-than).")
    static final class Purge extends Base {
        @Option(names = "--older-than", paramLabel = "DURATION")
        String olderThan;

        @Override
        int run(Quarantine q) throws Exception {
            Duration d = olderThan != null ? org.mailseal.config.Durations.parseDuration(olderThan) : cfg.quarantine().retention();
            System.out.println("deleted " + q.purge(d) + " entries older than " + d);
            return 0;
        }
    }
}
