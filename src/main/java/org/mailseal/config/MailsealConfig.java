package org.mailseal.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * The whole typed configuration. Every field has a default, so an empty file (or none) is a working
 * gateway on loopback. See {@code mailseal.example.yml} and the README's config reference.
 */
public record MailsealConfig(
        String hostname,
        Path dataDir,
        Listener smtp,
        Listener lmtp,
        Limits limits,
        Tls tls,
        Relay relay,
        Domains domains,
        Networks networks,
        Auth auth,
        Metrics metrics,
        Database database,
        Keys keys,
        PolicySettings policy,
        Smime smime,
        CaSettings ca,
        Listener milter,
        Outbound outbound,
        SentCopy sentCopy,
        String mode,
        Scan scan,
        QuarantineSettings quarantine,
        Pdf pdf,
        Dns dns,
        Authentication authentication,
        Wkd wkd,
        Discovery discovery,
        MtaSts mtaSts,
        TlsReporting tlsReports,
        Web web,
        Bridge bridge) {

    public MailsealConfig {
        hostname = hostname != null ? hostname : defaultHostname();
        dataDir = dataDir != null ? dataDir : Path.of("mailseal-data");
        smtp = Listener.withDefaults(smtp, true, HostPort.parse("127.0.0.1:10025"));
        lmtp = Listener.withDefaults(lmtp, false, HostPort.parse("127.0.0.1:10024"));
        limits = orDefaults(limits, Limits.class);
        tls = orDefaults(tls, Tls.class);
        relay = orDefaults(relay, Relay.class);
        domains = orDefaults(domains, Domains.class);
        networks = orDefaults(networks, Networks.class);
        auth = orDefaults(auth, Auth.class);
        metrics = orDefaults(metrics, Metrics.class);
        database = orDefaults(database, Database.class);
        keys = orDefaults(keys, Keys.class);
        policy = orDefaults(policy, PolicySettings.class);
        outbound = orDefaults(outbound, Outbound.class);
        sentCopy = orDefaults(sentCopy, SentCopy.class);
        mode = mode != null ? mode : "full";
        scan = orDefaults(scan, Scan.class);
        quarantine = orDefaults(quarantine, QuarantineSettings.class);
        pdf = orDefaults(pdf, Pdf.class);
        dns = orDefaults(dns, Dns.class);
        if (!dns.servers().isEmpty() && !relay.dnsServers().isEmpty() && !dns.servers().equals(relay.dnsServers())) {
            throw new IllegalArgumentException("relay.dnsServers: one resolver serves every lookup; set dns.servers only");
        }
        if (dns.servers().isEmpty() && !relay.dnsServers().isEmpty()) {
            dns = dns.withServers(relay.dnsServers());
        }
        authentication = orDefaults(authentication, Authentication.class);
        wkd = orDefaults(wkd, Wkd.class);
        discovery = orDefaults(discovery, Discovery.class);
        mtaSts = orDefaults(mtaSts, MtaSts.class);
        tlsReports = orDefaults(tlsReports, TlsReporting.class);
        web = orDefaults(web, Web.class);
        bridge = orDefaults(bridge, Bridge.class);
        if (mtaSts.published() && !wkd.enabled()) {
            throw new IllegalArgumentException("mtaSts.mode: the policy is served by the wkd: listener; set wkd.enabled: true");
        }
        for (String d : authentication.domains().keySet()) {
            if (!domains.local().contains(d)) {
                throw new IllegalArgumentException("authentication.domains." + d + ": not a local domain (add it to domains.local)");
            }
        }
        if (!mode.equals("full") && !mode.equals("encrypt-only")) {
            throw new IllegalArgumentException("mode must be full or encrypt-only (got '" + mode + "')");
        }
        smime = orDefaults(smime, Smime.class);
        ca = orDefaults(ca, CaSettings.class);
        milter = Listener.withDefaults(milter, false, HostPort.parse("127.0.0.1:10027"));
        for (String d : domains.allowUntrustedRouting()) {
            if (!domains.local().contains(d)) {
                throw new IllegalArgumentException("domains.allowUntrustedRouting: " + d + " is not a local domain (add it to domains.local)");
            }
        }
        for (String d : domains.policies().keySet()) {
            if (!domains.local().contains(d)) {
                throw new IllegalArgumentException("domains.policies." + d + ": not a local domain (add it to domains.local)");
            }
        }
    }

    /** The config used when no file is given. */
    public static MailsealConfig defaults() {
        return Checks.defaults(MailsealConfig.class);
    }

    /** A section the file leaves out is the section with every key at its default. */
    private static <S extends Record> S orDefaults(S section, Class<S> type) {
        return section != null ? section : Checks.defaults(type);
    }

    private static String defaultHostname() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** True for {@code mode: encrypt-only}: no private keys are held, imported or generated. */
    public boolean encryptOnly() {
        return mode.equals("encrypt-only");
    }

}
