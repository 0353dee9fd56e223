package org.mailseal.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.wkd.WkdDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "wkd", mixinStandardHelpOptions = true, description = "The Web Key Directory of the local domains.",
        subcommands = {WkdCommand.Export.class})
public final class WkdCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static WkdDirectory directory(org.mailseal.store.Database db, Set<String> domains) {
        return WkdDirectory.of(new PgpKeyStore(db.dataSource()), domains);
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the Web Key Directory as static files for an existing web server: DIR/.well-known/openpgpkey/<domain>/hu/<hash> "
                    + "and .../<domain>/policy (the advanced method: serve DIR as https://openpgpkey.<domain>/). "
                    + "Files of addresses that no longer have a key are removed.")
    static final class Export extends StoreCommand {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            WkdDirectory wkd = directory(db, Set.copyOf(cfg.domains().local()));
            int n = 0;
            for (String domain : wkd.domains()) {
                Path base = dir.resolve(".well-known").resolve("openpgpkey").resolve(domain);
                Path hu = Files.createDirectories(base.resolve("hu"));
                Files.write(base.resolve("policy"), new byte[0]);
                Map<String, byte[]> entries = wkd.entries(domain);
                try (var old = Files.list(hu)) {
                    for (Path p : old.toList()) {
                        if (!entries.containsKey(p.getFileName().toString())) {
                            Files.delete(p);
                        }
                    }
                }
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    Files.write(hu.resolve(e.getKey()), e.getValue());
                    n++;
                }
                System.out.println(domain + ": " + entries.size() + " addresses");
            }
            System.out.println("wrote " + n + " keys under " + dir.resolve(".well-known/openpgpkey"));
            return 0;
        }
    }
}
