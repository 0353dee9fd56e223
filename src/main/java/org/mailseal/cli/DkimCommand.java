package org.mailseal.cli;

import java.time.Instant;
import java.util.List;
import org.mailseal.dns.DnsResolver;
import org.mailseal.keys.DkimKeys;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dkim", mixinStandardHelpOptions = true, description = "DKIM signing keys of the local domains (RFC 6376, RFC 8463).",
        subcommands = {DkimCommand.Generate.class, DkimCommand.Show.class, DkimCommand.Activate.class, DkimCommand.Delete.class})
public final class DkimCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** A zone-file line for {@code e}: the record split into strings of at most 255 characters (RFC 1035 §3.3.14). */
    static String zoneLine(DkimKeys.Entry e) {
        String r = e.record();
        StringBuilder b = new StringBuilder(e.dnsName()).append(". 3600 IN TXT (");
        for (int i = 0; i < r.length(); i += 250) {
            b.append(i == 0 ? " " : "\n    ").append('"').append(r, i, Math.min(r.length(), i + 250)).append('"');
        }
        return b.append(" )").toString();
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Generate a domain's signing key (sealed under the master key) and print its DNS record. "
                    + "The key waits until 'mailseal dkim activate' (publish the record first), unless --activate.")
    static final class Generate extends StoreCommand {
        @Option(names = "--domain", required = true, paramLabel = "DOMAIN")
        String domain;

        @Option(names = "--algorithm", paramLabel = "rsa|ed25519|both", defaultValue = "both",
                description = "rsa (rsa-sha256, 2048 bits), ed25519 (ed25519-sha256) or both (default; two selectors).")
        String algorithm;

        @Option(names = "--selector", paramLabel = "NAME", description = "Default: ms<yyyymm>r for RSA, ms<yyyymm>e for Ed25519.")
        String selector;

        @Option(names = "--activate", description = "Sign with it at once (only for a domain whose record is already published, or that signs nothing yet).")
        boolean activate;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            List<DkimAlgorithm> algs = DkimAlgorithm.choice(algorithm);
            if (selector != null && algs.size() > 1) {
                throw new IllegalArgumentException("--selector names one key: give --algorithm rsa or ed25519 with it");
            }
            DkimKeys keys = new DkimKeys(db.dataSource());
            for (DkimAlgorithm a : algs) {
                DkimKeys.Entry e = keys.generate(domain, selector != null ? selector : DkimKeys.defaultSelector(a, Instant.now()), a, activate, master());
                System.out.println("; " + a.tag() + " key for " + e.domain() + ", selector " + e.selector() + ", "
                        + (activate ? "signing now" : "not signing until: mailseal dkim activate --domain " + e.domain() + " --selector " + e.selector()));
                System.out.println(zoneLine(e));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "List the keys with their state, and the DNS records to publish.")
    static final class Show extends StoreCommand {
        @Option(names = "--domain", paramLabel = "DOMAIN", description = "Default: every domain.")
        String domain;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            List<DkimKeys.Entry> all = new DkimKeys(db.dataSource()).list(domain);
            if (all.isEmpty()) {
                System.out.println("; no DKIM keys" + (domain != null ? " for " + domain : "") + ": mailseal dkim generate --domain D");
            }
            for (DkimKeys.Entry e : all) {
                String state = switch (e.state()) {
                    case ACTIVE -> "signing";
                    case PUBLISHED -> "published, not signing yet";
                    case RETIRED -> "retired: keep in DNS until its mail has arrived, then delete";
                };
                System.out.println("; " + e.domain() + " " + e.selector() + " " + e.algorithm().tag() + ": " + state);
                System.out.println(zoneLine(e));
            }
            return 0;
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
            description = "Start signing with a key; the domain's previous key of the same algorithm retires. "
                    + "Checks first that DNS serves the key's record (dns.servers), unless --no-dns-check.")
    static final class Activate extends StoreCommand {
        @Option(names = "--domain", required = true, paramLabel = "DOMAIN")
        String domain;

        @Option(names = "--selector", required = true, paramLabel = "NAME")
        String selector;

        @Option(names = "--no-dns-check", description = "Activate without looking the record up.")
        boolean noDnsCheck;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            DkimKeys keys = new DkimKeys(db.dataSource());
            DkimKeys.Entry e = keys.list(domain).stream().filter(x -> x.selector().equals(selector)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--selector: " + domain + " has no key under " + selector));
            if (!noDnsCheck) {
                DnsResolver.Answer<String> a = new DnsResolver(cfg.dns()).txt(e.dnsName());
                boolean served = org.mailseal.mailauth.dkim.DkimKeyRecord.publishes(a.records(), e.publicKey());
                if (!served) {
                    System.err.println("mailseal: DNS does not serve this key at " + e.dnsName() + " ("
                            + (a.status() == DnsResolver.Status.FOUND ? "another record" : a.reason()) + "); publish:\n" + zoneLine(e));
                    return 1;
                }
            }
            keys.activate(domain, selector);
            System.out.println("signing " + e.domain() + " with " + e.selector() + " (" + e.algorithm().tag() + ")");
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a key that does not sign (retired or never activated).")
    static final class Delete extends StoreCommand {
        @Option(names = "--domain", required = true, paramLabel = "DOMAIN")
        String domain;

        @Option(names = "--selector", required = true, paramLabel = "NAME")
        String selector;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            boolean done = new DkimKeys(db.dataSource()).delete(domain, selector);
            System.out.println(done ? "deleted " + selector + " of " + domain : "no such key that is not signing: " + selector + " of " + domain);
            return done ? 0 : 1;
        }
    }
}
