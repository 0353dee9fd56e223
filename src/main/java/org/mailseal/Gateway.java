package org.mailseal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.mailseal.auth.PasswordChecks;
import org.mailseal.auth.PasswordHasher;
import org.mailseal.auth.UserStore;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.imap.ImapLogins;
import org.mailseal.imap.SentCopier;
import org.mailseal.imap.SentCopyQueue;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.DecryptionKeys;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.ReplayCache;
import org.mailseal.keys.SmimeStore;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.milter.MilterServer;
import org.mailseal.pipeline.GatewayHandler;
import org.mailseal.pipeline.MailFlow;
import org.mailseal.pipeline.RelayStage;
import org.mailseal.policy.KeyGenerationGate;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.PolicyStore;
import org.mailseal.policy.RelayAccess;
import org.mailseal.relay.RelayClient;
import org.mailseal.smtp.ServerTls;
import org.mailseal.smtp.SmtpServer;
import org.mailseal.smtp.SmtpSettings;
import org.mailseal.spool.Spool;
import org.mailseal.store.Database;
import org.mailseal.web.MetricsEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running gateway: store, spool, mail flow, listeners and the metrics endpoint, built from the config. */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("mailseal");

    private final MailsealConfig config;
    private final Database db;
    private final RelayClient relay;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<SmtpServer> servers = new ArrayList<>();
    private MetricsEndpoint metricsEndpoint;
    private org.mailseal.web.ReplyEndpoint replyForm;
    private org.mailseal.wkd.WkdServer wkd;
    private org.mailseal.transport.TlsReports tlsReports;
    private org.mailseal.admin.AdminServer web;
    private org.mailseal.bridge.BridgeServer bridge;
    private org.mailseal.transport.TlsReportSender tlsReportSender;
    private java.util.concurrent.ScheduledExecutorService housekeeping;
    private final org.mailseal.metrics.MetricHistory history;
    private org.mailseal.logging.MailLogTap.Taker mailLogTaker;
    private SmtpServer smtp;
    private SmtpServer lmtp;
    private MilterServer milter;
    private SentCopier sentCopier;
    private List<org.mailseal.scan.Scanner> scanners = List.of();

    private Gateway(MailsealConfig config, Database db, RelayClient relay) {
        this.config = config;
        this.db = db;
        this.relay = relay;
        this.history = new org.mailseal.metrics.MetricHistory(metrics, java.time.Clock.systemUTC());
    }

    public static Gateway start(MailsealConfig config) throws IOException, GeneralSecurityException {
        org.mailseal.crypto.Providers.register(); // once, before any key is used (OpenPGP-only sites included)
        org.mailseal.store.DataDir.secure(config.dataDir());
        // Proxy mode: the next hop's 250 is the guarantee, so the spool need not fsync (see Spool).
        Spool spool = new Spool(config.dataDir(), false);
        spool.recover();
        Database db = Database.open(config);
        org.mailseal.dns.DnsResolver dns = new org.mailseal.dns.DnsResolver(config.dns());
        org.mailseal.transport.TlsReports tlsReports = config.tlsReports().enabled()
                ? new org.mailseal.transport.TlsReports(config.dataDir(), config.hostname(), java.time.Clock.systemUTC()) : null;
        RelayClient relay = new RelayClient(config.relay(), config.hostname(), dns, tlsReports, new org.mailseal.transport.MtaStsPolicies(db.dataSource()));
        Gateway g = new Gateway(config, db, relay);
        g.tlsReports = tlsReports;
        try {
            UserStore users = new UserStore(db.dataSource(), new PasswordHasher(config.auth().argon2MemoryKiB(), config.auth().argon2Iterations()));
            MasterKey master = unlockMaster(config, db);
            KeyDirectory keys = new KeyDirectory(new PgpKeyStore(db.dataSource()), master, PgpKeys.Algo.parse(config.keys().generateAlgorithm()));
            PolicyResolver policy = new PolicyResolver(config, new PolicyStore(db.dataSource()));
            CertDirectory certs = new CertDirectory(new SmimeStore(db.dataSource()), master, config);
            org.mailseal.keys.Pkcs11Token token = null;
            if (config.keys().pkcs11() != null && !config.encryptOnly()) {
                token = org.mailseal.keys.Pkcs11Token.open(config.keys().pkcs11());
                certs.useToken(token, new org.mailseal.keys.TokenKeys(db.dataSource()));
                keys.useToken(token, new org.mailseal.keys.TokenKeys(db.dataSource()));
                log.info("PKCS#11 token open: {}", config.keys().pkcs11().library());
            }
            DecryptionKeys secrets = new DecryptionKeys(keys.store(), certs.store(), master, config.outbound(), token,
                    new org.mailseal.keys.TokenKeys(db.dataSource()));
            ReplayCache replay = new ReplayCache(db.dataSource(), config.outbound().signatureWindow());
            ImapLogins logins = new ImapLogins(db.dataSource());
            SentCopyQueue sentQueue = new SentCopyQueue(config.dataDir());
            if (config.sentCopy().enabled()) {
                if (master == null) {
                    throw new IOException("sentCopy.enabled needs the master passphrase (the IMAP logins are sealed under it)");
                }
                g.sentCopier = new SentCopier(config.sentCopy(), sentQueue, logins, master).start();
            }
            RelayStage.SentCopies sentCopies = item -> {
                String key = SentCopyQueue.keyFor(item.senderIdentity(), item.queueId(), item.sentCopy()); // one copy per message, whatever the retries
                if (sentQueue.enqueue(key, item.senderIdentity(), item.sentCopy()) && g.sentCopier != null) {
                    g.sentCopier.wake();
                }
            };
            List<org.mailseal.scan.Scanner> scanners = new ArrayList<>();
            if (config.scan().clamd() != null) {
                scanners.add(new org.mailseal.scan.ClamdClient(config.scan().clamd()));
            }
            if (config.scan().spamd() != null) {
                scanners.add(new org.mailseal.scan.SpamdClient(config.scan().spamd()));
            }
            if (config.scan().rspamd() != null) {
                scanners.add(new org.mailseal.scan.RspamdClient(config.scan().rspamd()));
            }
            g.scanners = scanners;
            org.mailseal.scan.Quarantine quarantine = master != null ? new org.mailseal.scan.Quarantine(config.quarantine().dirIn(config.dataDir()), master) : null;
            org.mailseal.keys.StorageSeal seal = org.mailseal.keys.StorageSeal.load(config.dataDir(), db.dataSource());
            org.mailseal.auth.SenderAddresses senderAddresses = new org.mailseal.auth.SenderAddresses(db.dataSource());
            // Keys are generated only for users of the store (a login or a registered address) or generateFor patterns.
            KeyGenerationGate generation = new KeyGenerationGate(a -> users.exists(a) || senderAddresses.isRegistered(a),
                    config.limits().keyGenerationsPerMinute());
            // PDF passwords are sealed under the master key: without it, nobody has one.
            org.mailseal.pipeline.PasswordNotices passwordNotices = new org.mailseal.pipeline.PasswordNotices();
            if (config.pdf().derivePasswords() && master == null) {
                throw new IOException("pdf.derivePasswords needs the master passphrase (the recipients' secrets are sealed under it)");
            }
            org.mailseal.keys.PdfSecrets secretStore = new org.mailseal.keys.PdfSecrets(db.dataSource());
            org.mailseal.pipeline.PdfStage.Secrets pdfSecrets = master == null ? org.mailseal.pipeline.PdfStage.Secrets.NONE
                    : email -> secretStore.secretFor(email, master);
            org.mailseal.config.PdfReply replySettings = config.pdf().reply();
            org.mailseal.web.ReplyTokens replyTokens = replySettings.enabled() ? new org.mailseal.web.ReplyTokens(db.dataSource()) : null;
            org.mailseal.pipeline.PdfStage.ReplyLinks replyLinks = replyTokens == null ? org.mailseal.pipeline.PdfStage.ReplyLinks.NONE
                    : (queueId, sender, recipient, subject, messageId) -> java.util.Optional.of(replySettings.base() + "/reply?t="
                            + replyTokens.create(new org.mailseal.web.ReplyTokens.Link(recipient.toString(), sender.toString(), subject, messageId),
                                    replySettings.validity()));
            org.mailseal.keys.PdfPasswords pdfPasswords = new org.mailseal.keys.PdfPasswords(db.dataSource());
            org.mailseal.policy.OutboundDecider.PdfPasswordKnown pdfKnown = master != null ? pdfPasswords::has : email -> false;
            org.mailseal.pipeline.PdfStage.Passwords pdfPasswordOf = email -> master != null ? pdfPasswords.get(email, master) : java.util.Optional.empty();
            org.mailseal.keys.DkimKeys dkimStore = new org.mailseal.keys.DkimKeys(db.dataSource());
            // DKIM private keys are sealed under the master key: without it (encrypt-only), nothing is signed.
            org.mailseal.pipeline.DkimSignStage.Keys dkimKeys = master == null ? org.mailseal.pipeline.DkimSignStage.Keys.NONE
                    : domain -> dkimStore.signingKeys(domain, master);
            MailFlow.Parts parts = new MailFlow.Parts(config, spool, policy, keys, certs, secrets, replay,
                    senderAddresses, logins, scanners, quarantine, g.metrics, relay, sentCopies, generation, seal, pdfKnown, pdfPasswordOf,
                    passwordNotices, replyLinks, pdfSecrets, dkimKeys, new org.mailseal.mailauth.dkim.DkimVerifier(dns::txt),
                    new org.mailseal.mailauth.spf.SpfVerifier(dns),
                    new org.mailseal.mailauth.dmarc.DmarcVerifier(dns::txt, org.mailseal.mailauth.dmarc.OrgDomain.load(config.authentication().publicSuffixList())),
                    new org.mailseal.mailauth.arc.ArcVerifier(dns::txt),
                    keyFinder(config, dns, new org.mailseal.keys.DiscoveredKeys(db.dataSource()), certs));
            if (tlsReports != null) {
                g.tlsReportSender = tlsReportSender(config, dns, relay, tlsReports, dkimKeys);
            }
            // the searchable mail log is kept for the web admin's Mail log page, so only when the web admin runs
            org.mailseal.maillog.MailLog mailLog = config.web().enabled() ? new org.mailseal.maillog.MailLog(db.dataSource(), config.hostname()) : null;
            g.mailLogTaker = mailLog != null ? org.mailseal.logging.MailLogTap.take() : null;
            g.housekeeping = housekeeping(config, db, quarantine, replyTokens, tlsReports, g.tlsReportSender);
            housekeepWeb(g.housekeeping, config, g.history, mailLog, g.mailLogTaker);
            java.util.function.Consumer<String> deferred = queueId -> {
                try {
                    replay.release(queueId);
                } catch (java.sql.SQLException e) {
                    log.error("{}: cannot release its replay-cache claims: {}", queueId, e.getMessage());
                }
            };
            org.mailseal.pipeline.Pipeline contentFilter = MailFlow.contentFilter(parts);
            if (replyTokens != null) {
                org.mailseal.pipeline.ReplySubmission replies = new org.mailseal.pipeline.ReplySubmission(spool, contentFilter, config.hostname());
                g.replyForm = new org.mailseal.web.ReplyEndpoint(replySettings,
                        ServerTls.context(config.tls().certificate(), config.tls().privateKey(), config.dataDir(), config.hostname()), replyTokens,
                        (client, link, text) -> replies.submit(client, link.recipient(), link.sender(), link.subject(), link.messageId(), text)).start();
            }
            if (config.wkd().enabled()) {
                org.mailseal.config.Wkd w = config.wkd();
                javax.net.ssl.SSLContext wkdTls = w.certificate() != null
                        ? ServerTls.context(w.certificate(), w.privateKey(), config.dataDir(), config.hostname())
                        : ServerTls.context(config.tls().certificate(), config.tls().privateKey(), config.dataDir(), config.hostname());
                g.wkd = new org.mailseal.wkd.WkdServer(w.listen(), wkdTls,
                        org.mailseal.wkd.WkdDirectory.of(new org.mailseal.keys.PgpKeyStore(db.dataSource()), java.util.Set.copyOf(config.domains().local())),
                        config.mtaSts().published() ? org.mailseal.publish.MtaStsPublication.of(config.mtaSts(), config.hostname()).policy() : null).start();
            }
            if (config.web().enabled()) {
                org.mailseal.config.Web w = config.web();
                SSLContext webTls = w.certificate() != null
                        ? ServerTls.context(w.certificate(), w.privateKey(), config.dataDir(), config.hostname())
                        : ServerTls.context(config.tls().certificate(), config.tls().privateKey(), config.dataDir(), config.hostname());
                org.mailseal.admin.AdminServer.Releaser releaser = quarantine == null ? e -> {
                    throw new IOException("no quarantine");
                } : e -> org.mailseal.scan.QuarantineRelease.release(quarantine, e, relay, config.smtp().listen(), java.nio.file.Files.createDirectories(config.dataDir()));
                g.web = new org.mailseal.admin.AdminServer(w, webTls, new org.mailseal.admin.AdminServer.Services(config, db.dataSource(), users,
                        new org.mailseal.keys.PgpKeyStore(db.dataSource()), certs.store(), certs, master, new org.mailseal.keys.DiscoveredKeys(db.dataSource()),
                        rcpt -> config.domains().local().contains(rcpt.domainLower())
                                ? new org.mailseal.admin.Explainer.Explanation("inbound (a local domain)", parts.inboundDecider().preview(rcpt))
                                : new org.mailseal.admin.Explainer.Explanation("outbound (a remote domain)",
                                        parts.outboundDecider(MailFlow.Exit.RELAY).preview(rcpt)),
                        quarantine, releaser, g.metrics, g.history, mailLog)).start();
            }
            if (config.bridge().enabled()) {
                g.bridge = bridge(config, users, logins, master, secrets, keys, certs, seal, sentQueue);
            }
            GatewayHandler handler = new GatewayHandler(config.hostname(), spool, contentFilter,
                    new RelayAccess(config), g.metrics, authenticator(new PasswordChecks(users, config.auth().argon2MemoryKiB(), 5000)),
                    senderAddresses::owns, deferred, passwordNotices);
            if (config.milter().enabled()) {
                g.milter = new MilterServer(config.milter().listen(), MailFlow.milter(parts), parts.inboundDecider(), parts.outboundDecider(MailFlow.Exit.IN_PLACE),
                        new RelayAccess(config), spool, config.limits().maxMessageSize(), deferred);
            }
            SSLContext tls = ServerTls.context(config.tls().certificate(), config.tls().privateKey(), config.dataDir(), config.hostname());
            if (config.smtp().enabled()) {
                g.smtp = g.listen(SmtpSettings.from(config, false, tls), handler, "smtp");
            }
            if (config.lmtp().enabled()) {
                g.lmtp = g.listen(SmtpSettings.from(config, true, tls), handler, "lmtp");
            }
            if (config.metrics().enabled()) {
                g.metricsEndpoint = new MetricsEndpoint(config.metrics().listen(), g.metrics, certs).start();
            }
            log.info("mailseal started: relaying to {} (proxy mode)", config.relay().defaultRoute());
            return g;
        } catch (java.sql.SQLException | org.mailseal.crypto.KeyStoreException e) {
            g.close();
            throw new IOException("key store: " + e.getMessage(), e);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /**
     * The master key, reloading itself after {@code keys rotate-master}; null in encrypt-only mode (which
     * refuses to start while the store holds private keys) or without a passphrase.
     */
    /**
     * The periodic jobs. Per node (its own files): the quarantine's retention, TLS reports written every minute
     * and, with tlsReports.send, mailed hourly (each node reports its own sessions, under its own host name).
     * Once per interval across the cluster ({@link org.mailseal.store.ClusterJobs}): expired reply links and
     * discovered keys not seen for discovery.staleFor, which live in the shared store.
     */
    private static java.util.concurrent.ScheduledExecutorService housekeeping(MailsealConfig config, Database db, org.mailseal.scan.Quarantine quarantine,
            org.mailseal.web.ReplyTokens replyTokens, org.mailseal.transport.TlsReports tlsReports, org.mailseal.transport.TlsReportSender sender) {
        java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "housekeeping");
            t.setDaemon(true);
            return t;
        });
        java.util.function.BiConsumer<String, java.util.concurrent.Callable<String>> guarded = (what, job) -> {
            try {
                String done = job.call();
                if (done != null) {
                    log.info("{}: {}", what, done);
                }
            } catch (Exception | Error e) {
                log.warn("{}: failed: {}", what, org.mailseal.logging.LogSafe.text(String.valueOf(e.getMessage())));
            }
        };
        org.mailseal.store.ClusterJobs jobs = new org.mailseal.store.ClusterJobs(db.dataSource(),
                config.hostname() + " (pid " + ProcessHandle.current().pid() + ")", java.time.Clock.systemUTC());
        if (quarantine != null) {
            // a shared quarantine (quarantine.dir) is purged by one node at a time; a node's own, by that node
            ex.scheduleWithFixedDelay(() -> guarded.accept("quarantine", () -> {
                if (config.quarantine().shared() && !jobs.claim("quarantine-purge", java.time.Duration.ofHours(1))) {
                    return null;
                }
                int n = quarantine.purge(config.quarantine().retention());
                return n > 0 ? n + " entries older than " + config.quarantine().retention() + " deleted" : null;
            }), 0, config.quarantine().shared() ? 5 : 60, java.util.concurrent.TimeUnit.MINUTES);
        }
        if (tlsReports != null) {
            ex.scheduleWithFixedDelay(() -> guarded.accept("tls-reports", () -> {
                tlsReports.flush();
                return null;
            }), 1, 1, java.util.concurrent.TimeUnit.MINUTES);
            if (config.tlsReports().send()) {
                ex.scheduleWithFixedDelay(() -> guarded.accept("tls-reports", () -> {
                    int n = sender.sendFinished();
                    return n > 0 ? n + " reports mailed" : null;
                }), 5, org.mailseal.transport.TlsReportSender.EVERY.toMinutes(), java.util.concurrent.TimeUnit.MINUTES);
            }
        }
        org.mailseal.keys.DiscoveredKeys discovered = new org.mailseal.keys.DiscoveredKeys(db.dataSource());
        Runnable shared = () -> {
            if (replyTokens != null) {
                guarded.accept("job reply-links-purge", () -> jobs.claim("reply-links-purge", java.time.Duration.ofHours(1))
                        ? "ran on this node: " + replyTokens.purge(java.time.Instant.now().minus(java.time.Duration.ofDays(1))) + " expired links deleted" : null);
            }
            guarded.accept("job discovered-keys-purge", () -> jobs.claim("discovered-keys-purge", java.time.Duration.ofHours(1))
                    ? "ran on this node: " + discovered.purge(java.time.Instant.now().minus(config.discovery().staleFor())) + " keys not seen since "
                    + config.discovery().staleFor() + " forgotten" : null);
        };
        // The first round runs now, before the listeners open, and the embedded store writes it to disk at once:
        // H2 cannot recover from a write that fails later (a full disk) and would refuse every message after it.
        shared.run();
        try {
            db.checkpoint();
        } catch (java.sql.SQLException e) {
            log.warn("database checkpoint failed: {}", e.getMessage());
        }
        ex.scheduleWithFixedDelay(shared, 1, 1, java.util.concurrent.TimeUnit.MINUTES);
        return ex;
    }

    /**
     * The decrypting IMAP bridge: clients log in with their mailseal password; the session reaches the cloud
     * mailbox with the user's stored login, opens mail with the user's keys, and encrypts what clients APPEND
     * to the user's own key (sealed, as a Sent copy is, so it is never decrypted for relaying).
     */
    private static org.mailseal.bridge.BridgeServer bridge(MailsealConfig config, UserStore users, ImapLogins logins, MasterKey master,
            DecryptionKeys secrets, KeyDirectory keys, CertDirectory certs, org.mailseal.keys.StorageSeal seal, SentCopyQueue sentQueue)
            throws IOException, GeneralSecurityException {
        if (master == null) {
            throw new IOException("bridge: needs the master passphrase (the users' private keys open their mail)");
        }
        org.mailseal.config.Bridge b = config.bridge();
        SSLContext tls = b.certificate() != null
                ? ServerTls.context(b.certificate(), b.privateKey(), config.dataDir(), config.hostname())
                : ServerTls.context(config.tls().certificate(), config.tls().privateKey(), config.dataDir(), config.hostname());
        org.mailseal.keys.KeyBook book = org.mailseal.keys.KeyBook.of(keys, certs);
        org.mailseal.bridge.GatewayAccount.Sealer sealer = (user, message) -> {
            java.util.Optional<org.mailseal.mail.Treatment> t = org.mailseal.pipeline.SentCopyStage.toOwnKey(book, user, "stored by the IMAP bridge");
            if (t.isEmpty()) {
                return java.util.Optional.empty();
            }
            try (java.io.BufferedInputStream in = new java.io.BufferedInputStream(new java.io.ByteArrayInputStream(message))) {
                org.mailseal.mime.RawHeader h = org.mailseal.mime.RawHeader.read(in, org.mailseal.mime.RawHeader.MAX_SECTION);
                int body = message.length - in.available(); // where the body starts
                java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(message.length + 4096);
                org.mailseal.pipeline.EncryptStage.encrypt(t.get(), h, () -> new java.io.ByteArrayInputStream(message, body, message.length - body), o, seal, null,
                        "bridge");
                return java.util.Optional.of(o.toByteArray());
            }
        };
        // a client saving its copy of a message in the Sent folder, after mailseal stored its encrypted Sent copy: the same key
        org.mailseal.bridge.GatewayAccount.SentCopies sentCopies = (user, mailbox, message) -> {
            if (!config.sentCopy().enabled() || !mailbox.equalsIgnoreCase(config.sentCopy().folder())) {
                return false;
            }
            org.mailseal.mime.RawHeader h = org.mailseal.mime.RawHeader.read(new java.io.ByteArrayInputStream(message), org.mailseal.mime.RawHeader.MAX_SECTION);
            String key = SentCopyQueue.keyFor(user, h);
            return key != null && sentQueue.holdsOrHeld(key);
        };
        org.mailseal.bridge.GatewayAccount account = new org.mailseal.bridge.GatewayAccount(b, users::verify,
                user -> logins.get(user, master).map(l -> new org.mailseal.bridge.Account.Login(l.login(), l.password())), sealer, sentCopies,
                secrets, master, seal, config.dataDir(), config.limits().maxMessageSize());
        return new org.mailseal.bridge.BridgeServer(b, tls, account, (int) Math.min(Integer.MAX_VALUE, config.limits().maxMessageSize()),
                b.idlePoll().toMillis()).start();
    }

    /**
     * The web admin's periodic jobs: a sample of the message counters every minute (the dashboard's chart), and
     * the mail log written from the log every two seconds and trimmed to web.mailLogRetention hourly.
     */
    private static void housekeepWeb(java.util.concurrent.ScheduledExecutorService ex, MailsealConfig config, org.mailseal.metrics.MetricHistory history,
            org.mailseal.maillog.MailLog mailLog, org.mailseal.logging.MailLogTap.Taker taker) {
        ex.scheduleAtFixedRate(history::sample, org.mailseal.metrics.MetricHistory.STEP.toSeconds(), org.mailseal.metrics.MetricHistory.STEP.toSeconds(),
                java.util.concurrent.TimeUnit.SECONDS);
        if (mailLog == null) {
            return;
        }
        ex.scheduleWithFixedDelay(() -> {
            try {
                mailLog.drain(taker);
                long lost = taker.takeDropped();
                if (lost > 0) {
                    log.warn("mail log: {} lines not kept (the store did not keep up)", lost);
                }
            } catch (java.sql.SQLException | RuntimeException e) {
                log.warn("mail log: not written: {}", org.mailseal.logging.LogSafe.text(String.valueOf(e.getMessage())));
            }
        }, 2, 2, java.util.concurrent.TimeUnit.SECONDS);
        ex.scheduleWithFixedDelay(() -> {
            try {
                int n = mailLog.purge(config.web().mailLogRetention());
                if (n > 0) {
                    log.info("mail log: {} lines older than {} deleted", n, config.web().mailLogRetention());
                }
            } catch (java.sql.SQLException | RuntimeException e) {
                log.warn("mail log: purge failed: {}", org.mailseal.logging.LogSafe.text(String.valueOf(e.getMessage())));
            }
        }, 1, 60, java.util.concurrent.TimeUnit.MINUTES);
    }

    /** Mails TLS reports through the relay client, along the route for the report address's domain. */
    private static org.mailseal.transport.TlsReportSender tlsReportSender(MailsealConfig config, org.mailseal.dns.DnsResolver dns, RelayClient relay,
                                                                          org.mailseal.transport.TlsReports reports,
                                                                          org.mailseal.pipeline.DkimSignStage.Keys dkim) {
        org.mailseal.relay.RouteTable routes = new org.mailseal.relay.RouteTable(config.relay());
        String from = config.tlsReports().from() != null ? config.tlsReports().from() : "postmaster@" + config.hostname();
        return new org.mailseal.transport.TlsReportSender(reports, dns, config.hostname(), from, dkim::forDomain, (sender, to, message) -> {
            org.mailseal.mail.Address rcpt = org.mailseal.mail.Address.parse(to);
            org.mailseal.relay.RouteTable.Route route = routes.routeFor(rcpt.domainLower());
            List<org.mailseal.relay.RelayResult> r = relay.deliver(new RelayClient.Message("tlsrpt", null,
                    org.mailseal.mail.MailFrom.of(org.mailseal.mail.Address.parse(sender)), List.of(org.mailseal.mail.RcptTo.of(rcpt)), message),
                    route.hop(), route.tls(), org.mailseal.relay.Deadline.in(java.time.Duration.ofMinutes(5)));
            return r.get(0).reply().code();
        }, (uri, gzipped) -> {
            // RFC 8460 §5.3.1: POSTed over TLS verified like MTA-STS fetches (the JDK's CAs and relay.trustAnchors)
            if (uri.getHost() == null || !"https".equalsIgnoreCase(uri.getScheme())) {
                throw new IllegalArgumentException("not an https URI");
            }
            try {
                return new org.mailseal.https.HttpsGet(dns, org.mailseal.https.HttpsGet.trusting(config.relay().trustAnchors()),
                        java.time.Duration.ofSeconds(30), uri.getPort() < 0 ? 443 : uri.getPort())
                        .post(uri.getHost(), uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()
                                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()), "application/tlsrpt+gzip", gzipped);
            } catch (java.security.GeneralSecurityException e) {
                throw new java.io.IOException(e);
            }
        }, java.time.Clock.systemUTC());
    }

    /** Key discovery for outbound recipients, the sources in {@code discovery.order}. */
    private static org.mailseal.discovery.KeyFinder keyFinder(MailsealConfig config, org.mailseal.dns.DnsResolver dns,
                                                               org.mailseal.keys.DiscoveredKeys store, CertDirectory certs)
            throws IOException, GeneralSecurityException {
        List<org.mailseal.discovery.KeyFinder.Source> sources = new ArrayList<>();
        for (String name : config.discovery().order()) {
            switch (name) {
                case "wkd" -> {
                    if (config.discovery().wkd()) {
                        sources.add(new org.mailseal.discovery.KeyFinder.Source(name, new org.mailseal.wkd.WkdClient(dns, config.discovery())));
                    }
                }
                case "openpgpkey" -> sources.add(new org.mailseal.discovery.KeyFinder.Source(name,
                        new org.mailseal.discovery.DnsKeyLookup(dns, org.mailseal.discovery.DnsKeyLookup.Kind.OPENPGPKEY)));
                case "smimea" -> sources.add(new org.mailseal.discovery.KeyFinder.Source(name,
                        new org.mailseal.discovery.DnsKeyLookup(dns, org.mailseal.discovery.DnsKeyLookup.Kind.SMIMEA)));
                case "keyservers" -> {
                    javax.net.ssl.SSLContext ctx = org.mailseal.https.HttpsGet.trusting(config.discovery().trustAnchors());
                    for (String k : config.discovery().keyservers()) {
                        sources.add(new org.mailseal.discovery.KeyFinder.Source(name, org.mailseal.discovery.KeyserverLookup.parse(k,
                                port -> new org.mailseal.https.HttpsGet(dns, ctx, config.discovery().timeout(), port))));
                    }
                }
                case "ldap" -> sources.add(new org.mailseal.discovery.KeyFinder.Source(name, new org.mailseal.discovery.LdapLookup(
                        config.discovery().ldap(), config.discovery().timeout(), certs::validate)));
                default -> throw new IllegalStateException(name);
            }
        }
        return new org.mailseal.discovery.KeyFinder(sources, config.discovery(), store);
    }

    private static MasterKey unlockMaster(MailsealConfig config, Database db) throws java.sql.SQLException, org.mailseal.crypto.KeyStoreException,
            IOException {
        if (config.encryptOnly()) {
            long held = org.mailseal.keys.PrivateKeys.count(db.dataSource());
            if (held > 0) {
                throw new IOException("mode: encrypt-only, but the key store holds " + held + " private keys; delete them "
                        + "(mailseal keys delete / certs delete) or run in mode: full");
            }
            log.info("mode: encrypt-only: no private keys held; inbound encryption with public keys only");
            return null;
        }
        MasterKey master = MasterPassphrase.unlock(config, db.dataSource());
        if (master == null) {
            long sealed = org.mailseal.keys.PrivateKeys.sealed(db.dataSource());
            if (sealed > 0) {
                throw new IOException("the key store holds " + sealed + " sealed private keys or passwords, but no master passphrase is "
                        + "configured: set keys.masterPassphraseFile or " + MasterPassphrase.ENV);
            }
            log.warn("no master passphrase configured: no private keys usable; keys cannot be generated");
            return null;
        }
        return master.reloadingWith(() -> MasterPassphrase.unlock(config, db.dataSource()));
    }

    private SmtpServer listen(SmtpSettings s, GatewayHandler handler, String name) throws IOException {
        SmtpServer server = new SmtpServer(s, handler).start();
        servers.add(server);
        metrics.sessionsGauge(name, server::activeSessions);
        return server;
    }

    public SmtpServer smtp() {
        return smtp;
    }

    public SmtpServer lmtp() {
        return lmtp;
    }

    /** The Web Key Directory's listener, or null when it is off. */
    /** The web admin (null unless web.enabled). */
    public org.mailseal.bridge.BridgeServer bridge() {
        return bridge;
    }

    public org.mailseal.admin.AdminServer web() {
        return web;
    }

    /** The TLS-RPT counts (null when tlsReports.enabled is false). */
    public org.mailseal.transport.TlsReports tlsReports() {
        return tlsReports;
    }

    public org.mailseal.transport.TlsReportSender tlsReportSender() {
        return tlsReportSender;
    }

    public org.mailseal.wkd.WkdServer wkd() {
        return wkd;
    }

    /** The PDF reply form's listener, or null when it is off. */
    public org.mailseal.web.ReplyEndpoint replyForm() {
        return replyForm;
    }

    public MetricsEndpoint metricsEndpoint() {
        return metricsEndpoint;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public MailsealConfig config() {
        return config;
    }

    /** Graceful stop: no new sessions, in-flight transactions finish within the configured bound. */
    @Override
    public void close() {
        List<Thread> stoppers = new ArrayList<>();
        for (SmtpServer s : servers) {
            Thread t = new Thread(() -> s.shutdown(config.limits().shutdownTimeout()));
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (replyForm != null) {
            replyForm.close();
        }
        if (wkd != null) {
            wkd.close();
        }
        if (web != null) {
            web.close();
        }
        if (bridge != null) {
            bridge.close();
        }
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        if (milter != null) {
            milter.close();
        }
        if (sentCopier != null) {
            sentCopier.close();
        }
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (mailLogTaker != null) {
            mailLogTaker.close();
        }
        if (tlsReports != null) {
            try {
                tlsReports.flush();
            } catch (IOException | RuntimeException e) {
                log.warn("TLS reports not written: {}", e.getMessage());
            }
        }
        scanners.forEach(org.mailseal.scan.Scanner::close);
        relay.close();
        db.close();
        log.info("mailseal stopped");
    }

    private static GatewayHandler.Authenticator authenticator(PasswordChecks checks) {
        return (user, password) -> switch (checks.check(user, password)) {
            case OK -> org.mailseal.smtp.MailHandler.AuthResult.OK;
            case FAILED -> org.mailseal.smtp.MailHandler.AuthResult.FAILED;
            case UNAVAILABLE -> org.mailseal.smtp.MailHandler.AuthResult.TEMPORARY;
        };
    }
}
