package org.mailseal.cli;

import java.util.Locale;
import org.mailseal.publish.DnsRecords;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dns-records", mixinStandardHelpOptions = true,
        description = "Print the zone-file lines a local domain publishes: DKIM keys, OPENPGPKEY (RFC 7929) and SMIMEA (RFC 8162) per user, "
                + "TLSA for the gateway's certificate, the WKD host. Paste them into the zone as they are.")
public final class DnsRecordsCommand extends StoreCommand {

    @Option(names = "--domain", required = true, paramLabel = "DOMAIN")
    String domain;

    @Option(names = "--smtp-port", paramLabel = "PORT", defaultValue = "25",
            description = "The port senders reach the gateway's SMTP on, for the TLSA owner name (default 25; another only in test labs).")
    int smtpPort;

    @Override
    int run(org.mailseal.store.Database db) throws Exception {
        String d = domain.toLowerCase(Locale.ROOT).strip();
        if (!cfg.domains().local().contains(d)) {
            throw new IllegalArgumentException("--domain: " + d + " is not a local domain (domains.local)");
        }
        for (String line : DnsRecords.forDomain(d, cfg, db.dataSource(),
                org.mailseal.smtp.ServerTls.certificate(cfg.tls().certificate(), cfg.tls().privateKey(), cfg.dataDir(), cfg.hostname()), smtpPort)) {
            System.out.println(line);
        }
        return 0;
    }
}
