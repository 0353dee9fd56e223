package org.mailseal.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
        QuarantineSettings quarantine) {

    public MailsealConfig {
        hostname = hostname != null ? hostname : defaultHostname();
        dataDir = dataDir != null ? dataDir : Path.of("mailseal-data");
        smtp = Listener.withDefaults(smtp, true, HostPort.parse("127.0.0.1:10025"));
        lmtp = Listener.withDefaults(lmtp, false, HostPort.parse("127.0.0.1:10024"));
        limits = limits != null ? limits : new Limits(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        tls = tls != null ? tls : new Tls(null, null);
        relay = relay != null ? relay : new Relay(null, null, null, null, null, null, null, null, null, null, null, null);
        domains = domains != null ? domains : new Domains(null, null, null);
        networks = networks != null ? networks : new Networks(null, null);
        auth = auth != null ? auth : new Auth(null, null, null);
        metrics = metrics != null ? metrics : new Metrics(null, null);
        database = database != null ? database : new Database(null, null, null);
        keys = keys != null ? keys : new Keys(null, null, null, null, null);
        policy = policy != null ? policy : new PolicySettings(null, null, null, null, null, null, null, null, null, null);
        outbound = outbound != null ? outbound : new Outbound(null, null, null, null);
        sentCopy = sentCopy != null ? sentCopy : new SentCopy(null, null, null, null, null);
        mode = mode != null ? mode : "full";
        scan = scan != null ? scan : new Scan(null, null, null, null, null, null);
        quarantine = quarantine != null ? quarantine : new QuarantineSettings(null);
        if (!mode.equals("full") && !mode.equals("encrypt-only")) {
            throw new IllegalArgumentException("mode must be full or encrypt-only (got '" + mode + "')");
        }
        smime = smime != null ? smime : new Smime(null, null, null, null);
        ca = ca != null ? ca : new CaSettings(null, null, null, null);
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
        return new MailsealConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    private static String defaultHostname() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** One inbound listener (SMTP or LMTP). */
    public record Listener(Boolean enabled, HostPort listen) {
        static Listener withDefaults(Listener l, boolean enabled, HostPort listen) {
            if (l == null) {
                return new Listener(enabled, listen);
            }
            return new Listener(l.enabled != null ? l.enabled : enabled, l.listen != null ? l.listen : listen);
        }
    }

    /** Protocol limits and timeouts. RFC 5321 §4.5.3 gives the minimums. */
    public record Limits(
            @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxMessageSize,
            Integer maxRecipients,
            Integer maxConnections,
            Integer maxCommandLineLength,
            Integer maxDataLineLength,
            Integer maxErrors,
            Integer maxHops,
            Duration commandTimeout,
            Duration dataTimeout,
            Duration shutdownTimeout,
            Integer maxConnectionsPerClient,
            Integer connectionRatePerMinute,
            Integer maxAuthFailures,
            Duration dataDeadline,
            List<Cidr> clientLimitExceptions,
            Integer keyGenerationsPerMinute) {
        public Limits {
            // anvil-style per-client limits (Postfix: smtpd_client_connection_count_limit etc.); 0 = off
            maxConnectionsPerClient = maxConnectionsPerClient != null ? maxConnectionsPerClient : 20;
            connectionRatePerMinute = connectionRatePerMinute != null ? connectionRatePerMinute : 0;
            maxAuthFailures = maxAuthFailures != null ? maxAuthFailures : 10;
            dataDeadline = dataDeadline != null ? dataDeadline : Duration.ofMinutes(10);
            if (maxConnectionsPerClient < 0 || connectionRatePerMinute < 0 || maxAuthFailures < 0) {
                throw new IllegalArgumentException("limits.maxConnectionsPerClient, connectionRatePerMinute and maxAuthFailures must be >= 0 (0 = off)");
            }
            if (dataDeadline.isNegative() || dataDeadline.isZero()) {
                throw new IllegalArgumentException("limits.dataDeadline must be positive");
            }
            clientLimitExceptions = clientLimitExceptions != null ? List.copyOf(clientLimitExceptions) : null; // null: networks.trusted
            maxMessageSize = maxMessageSize != null ? maxMessageSize : 50L * 1024 * 1024;
            maxRecipients = maxRecipients != null ? maxRecipients : 1000;
            maxConnections = maxConnections != null ? maxConnections : 100;
            // RFC 5321 §4.5.3.1.4: a command line is at least 512 octets; MAIL with DSN/SMTPUTF8 params needs more.
            maxCommandLineLength = maxCommandLineLength != null ? maxCommandLineLength : 2048;
            // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.
            maxDataLineLength = maxDataLineLength != null ? maxDataLineLength : 998;
            maxErrors = maxErrors != null ? maxErrors : 20;
            // RFC 5321 §6.3: loop detection by counting Received fields.
            maxHops = maxHops != null ? maxHops : 50;
            commandTimeout = commandTimeout != null ? commandTimeout : Duration.ofMinutes(5);
            dataTimeout = dataTimeout != null ? dataTimeout : Duration.ofMinutes(3);
            shutdownTimeout = shutdownTimeout != null ? shutdownTimeout : Duration.ofSeconds(30);
            requirePositive("maxMessageSize", maxMessageSize);
            requirePositive("maxRecipients", maxRecipients);
            requirePositive("maxConnections", maxConnections);
            requirePositive("maxErrors", maxErrors);
            requirePositive("maxHops", maxHops);
            keyGenerationsPerMinute = keyGenerationsPerMinute != null ? keyGenerationsPerMinute : 30;
            if (keyGenerationsPerMinute < 0) {
                throw new IllegalArgumentException("limits.keyGenerationsPerMinute must be >= 0 (0 = no limit)");
            }
            if (maxCommandLineLength < 512) {
                throw new IllegalArgumentException("maxCommandLineLength must be at least 512 (RFC 5321 §4.5.3.1.4)");
            }
            if (maxDataLineLength < 998) {
                throw new IllegalArgumentException("maxDataLineLength must be at least 998 (RFC 5321 §4.5.3.1.6)");
            }
        }
    }

    /** The server certificate for STARTTLS (PEM files). Without them a self-signed one is generated in the data dir. */
    public record Tls(Path certificate, Path privateKey) {
        public Tls {
            if ((certificate == null) != (privateKey == null)) {
                throw new IllegalArgumentException("certificate and privateKey must be given together");
            }
        }
    }

    /** TLS policy towards a next hop. */
    public enum TlsPolicy {
        /** Plain text, never STARTTLS. */
        NONE,
        /** STARTTLS if offered, certificate not checked. */
        MAY,
        /** STARTTLS required, certificate not checked. */
        ENCRYPT,
        /** STARTTLS required, certificate chain and host name verified. */
        VERIFY;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static TlsPolicy parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown TLS policy '" + s + "' (none, may, encrypt, verify)");
            }
        }
    }

    /** One route: where mail goes and how. */
    public record Route(String nexthop, TlsPolicy tls) {
        public Route {
            if (nexthop == null) {
                throw new IllegalArgumentException("missing nexthop");
            }
            NextHop.parse(nexthop);
        }
    }

    /** Relay client towards the next hop (the cloud provider's MTA, or Postfix's reinjection port). */
    public record Relay(
            String defaultRoute,
            TlsPolicy tls,
            Map<String, Route> routes,
            String heloName,
            Duration connectTimeout,
            Duration commandTimeout,
            Duration dataDoneTimeout,
            Integer maxIdlePerRoute,
            Duration idleTimeout,
            List<HostPort> dnsServers,
            Duration deadline,
            Path trustAnchors) {
        public Relay {
            defaultRoute = defaultRoute != null ? defaultRoute : "[127.0.0.1]:10026";
            NextHop.parse(defaultRoute);
            tls = tls != null ? tls : TlsPolicy.MAY;
            routes = routes != null ? Map.copyOf(lowerKeys(routes)) : Map.of();
            connectTimeout = connectTimeout != null ? connectTimeout : Duration.ofSeconds(30);
            commandTimeout = commandTimeout != null ? commandTimeout : Duration.ofMinutes(5);
            // Postfix smtp_data_done_timeout: 600 s, and the upstream client waits at most that long too.
            dataDoneTimeout = dataDoneTimeout != null ? dataDoneTimeout : Duration.ofMinutes(10);
            maxIdlePerRoute = maxIdlePerRoute != null ? maxIdlePerRoute : 8;
            idleTimeout = idleTimeout != null ? idleTimeout : Duration.ofSeconds(60);
            dnsServers = dnsServers != null ? List.copyOf(dnsServers) : List.of();
            // Everything done for one message must end well inside the client's 600 s DATA timeout.
            deadline = deadline != null ? deadline : Duration.ofSeconds(540);
        }

    }

    /** Mail for these domains is inbound; {@code policies} overrides the global policy per domain. */
    public record Domains(List<String> local, Map<String, PolicySettings> policies, List<String> allowUntrustedRouting) {
        public Domains {
            allowUntrustedRouting = allowUntrustedRouting != null
                    ? allowUntrustedRouting.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList() : List.of();
            policies = policies != null ? Map.copyOf(lowerKeys(policies)) : Map.of();
            local = local != null ? local.stream().map(d -> {
                if (!d.matches("[\\p{L}\\p{N}.-]+") || d.startsWith(".") || d.endsWith(".")) {
                    throw new IllegalArgumentException("bad domain '" + d + "'");
                }
                return d.toLowerCase(Locale.ROOT);
            }).toList() : List.of();
        }
    }

    /** Client networks that may relay outbound, and those whose XFORWARD is believed. */
    public record Networks(
            List<Cidr> trusted,
            List<Cidr> xforward) {
        public Networks {
            trusted = trusted != null ? List.copyOf(trusted) : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
            xforward = xforward != null ? List.copyOf(xforward) : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
        }

        public boolean isTrusted(InetAddress a) {
            return trusted.stream().anyMatch(c -> c.contains(a));
        }

        public boolean isXforwardAllowed(InetAddress a) {
            return xforward.stream().anyMatch(c -> c.contains(a));
        }
    }

    /** SMTP AUTH (offered only after STARTTLS). Argon2id cost parameters for stored passwords. */
    public record Auth(Boolean enabled, Integer argon2MemoryKiB, Integer argon2Iterations) {
        public Auth {
            enabled = enabled == null || enabled;
            // OWASP minimum for Argon2id: m=19 MiB, t=2, p=1.
            argon2MemoryKiB = argon2MemoryKiB != null ? argon2MemoryKiB : 19456;
            argon2Iterations = argon2Iterations != null ? argon2Iterations : 2;
            if (argon2MemoryKiB < 1024 || argon2Iterations < 1) {
                throw new IllegalArgumentException("argon2MemoryKiB must be >= 1024 and argon2Iterations >= 1");
            }
        }
    }

    /** Prometheus endpoint. */
    public record Metrics(Boolean enabled, HostPort listen) {
        public Metrics {
            enabled = enabled == null || enabled;
            listen = listen != null ? listen : HostPort.parse("127.0.0.1:9025");
        }
    }

    /** The store: an H2 file in the data dir unless a JDBC URL (e.g. PostgreSQL) is given. */
    public record Database(String url, String user, Path passwordFile) {
        public Database {
            if (url != null && !url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("only jdbc:h2: and jdbc:postgresql: URLs are supported");
            }
        }
    }

    private static <V> Map<String, V> lowerKeys(Map<String, V> in) {
        Map<String, V> out = new java.util.HashMap<>();
        in.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return out;
    }

    /**
     * Private-key protection. The master passphrase comes from {@code masterPassphraseFile} or the
     * environment variable {@code MAILSEAL_MASTER_PASSPHRASE}, never from this file. Without one, the
     * gateway can encrypt to stored certificates but holds no private keys (and cannot generate keys).
     */
    public record Keys(Path masterPassphraseFile, Integer argon2MemoryKiB, Integer argon2Iterations, String generateAlgorithm, Pkcs11 pkcs11) {
        public Keys {
            argon2MemoryKiB = argon2MemoryKiB != null ? argon2MemoryKiB : 65536;
            argon2Iterations = argon2Iterations != null ? argon2Iterations : 3;
            generateAlgorithm = generateAlgorithm != null ? generateAlgorithm : "cv25519";
            org.mailseal.crypto.pgp.PgpKeys.Algo.parse(generateAlgorithm);
            if (argon2MemoryKiB < 1024 || argon2Iterations < 1) {
                throw new IllegalArgumentException("argon2MemoryKiB must be >= 1024 and argon2Iterations >= 1");
            }
        }
    }

    /**
     * A PKCS#11 token (JDK SunPKCS11) that holds the relay keys: {@code library} (e.g.
     * /usr/lib/softhsm/libsofthsm2.so), the token's {@code slot} id or its {@code slotListIndex}
     * (default 0), and {@code pinFile} with the user PIN.
     */
    public record Pkcs11(Path library, Long slot, Integer slotListIndex, Path pinFile) {
        public Pkcs11 {
            if (library == null) {
                throw new IllegalArgumentException("library is required");
            }
            if (pinFile == null) {
                throw new IllegalArgumentException("pinFile is required");
            }
            slotListIndex = slotListIndex != null ? slotListIndex : 0;
        }
    }

    /** Encryption policy values; null means "inherit". Checked by {@link PolicyValues}; combined by {@code policy.PolicyResolver}. */
    public record PolicySettings(String encrypt, String onMissingKey, String subjectPlaceholder, String method,
                                 String preferredMethod, String generateMethod, String smimeCipher, String sign,
                                 String generateFor, String outerHeaders) {
        public PolicySettings {
            map(encrypt, onMissingKey, subjectPlaceholder, method, preferredMethod, generateMethod, smimeCipher, sign, generateFor, outerHeaders)
                    .forEach(PolicyValues::validate);
        }

        /** The set values, by setting name. */
        public java.util.Map<String, String> asMap() {
            return map(encrypt, onMissingKey, subjectPlaceholder, method, preferredMethod, generateMethod, smimeCipher, sign, generateFor, outerHeaders);
        }

        private static java.util.Map<String, String> map(String encrypt, String onMissingKey, String subjectPlaceholder, String method,
                                                         String preferredMethod, String generateMethod, String smimeCipher, String sign,
                                                         String generateFor, String outerHeaders) {
            java.util.Map<String, String> v = new java.util.LinkedHashMap<>();
            v.put("encrypt", encrypt);
            v.put("onMissingKey", onMissingKey);
            v.put("subjectPlaceholder", subjectPlaceholder);
            v.put("method", method);
            v.put("preferredMethod", preferredMethod);
            v.put("generateMethod", generateMethod);
            v.put("smimeCipher", smimeCipher);
            v.put("sign", sign);
            v.put("generateFor", generateFor);
            v.put("outerHeaders", outerHeaders);
            v.values().removeIf(java.util.Objects::isNull);
            return v;
        }
    }

    /**
     * S/MIME certificate checking: trust anchors (PEM files) besides the built-in CA, CRL files, and
     * whether CRLs are fetched from a certificate's distribution point (cached until their next update).
     */
    public record Smime(List<Path> trustAnchors, List<Path> crlFiles, Boolean crlFetch, Duration crlFetchTimeout) {
        public Smime {
            trustAnchors = trustAnchors != null ? List.copyOf(trustAnchors) : List.of();
            crlFiles = crlFiles != null ? List.copyOf(crlFiles) : List.of();
            crlFetch = crlFetch != null && crlFetch;
            crlFetchTimeout = crlFetchTimeout != null ? crlFetchTimeout : Duration.ofSeconds(10);
        }
    }

    /** The built-in CA: key algorithm for user certificates, their validity, and the published CRL URL. */
    public record CaSettings(String userKeyAlgorithm, Integer userCertDays, String crlUrl, String name) {
        public CaSettings {
            userKeyAlgorithm = userKeyAlgorithm != null ? userKeyAlgorithm : "rsa3072";
            org.mailseal.crypto.smime.CertificateAuthority.Algo.parse(userKeyAlgorithm);
            userCertDays = userCertDays != null ? userCertDays : 730;
            name = name != null ? name : "mailseal CA";
            if (userCertDays < 1) {
                throw new IllegalArgumentException("userCertDays must be positive");
            }
            if (crlUrl != null && !crlUrl.matches("https?://\\S+")) {
                throw new IllegalArgumentException("crlUrl must be an http(s) URL");
            }
        }
    }

    /**
     * Outbound mail (from local users to elsewhere). {@code relayKeyLocalPart}: the local part of each
     * domain's relay key address ({@code mailseal-relay@<domain>}); {@code signatureWindow}: how far a
     * relay-key message's signature time may be from now; {@code encrypt}: {@code opportunistic} (encrypt
     * when the recipient's key or certificate is known), {@code mandatory} or {@code never}, by default and
     * per recipient domain ({@code recipientDomains}).
     */
    public record Outbound(String relayKeyLocalPart, Duration signatureWindow, String encrypt, Map<String, String> recipientDomains) {
        public Outbound {
            relayKeyLocalPart = relayKeyLocalPart != null ? relayKeyLocalPart : "mailseal-relay";
            signatureWindow = signatureWindow != null ? signatureWindow : Duration.ofHours(2);
            encrypt = encrypt != null ? encrypt : "opportunistic";
            recipientDomains = recipientDomains != null ? Map.copyOf(recipientDomains) : Map.of();
            if (!relayKeyLocalPart.matches("[A-Za-z0-9._+-]+")) {
                throw new IllegalArgumentException("relayKeyLocalPart must be a plain local part");
            }
            requirePositive("signatureWindow", signatureWindow.toSeconds());
            checkEncrypt("encrypt", encrypt);
            recipientDomains.forEach((d, v) -> checkEncrypt("recipientDomains." + d, v));
        }

        private static void checkEncrypt(String key, String v) {
            if (!List.of("opportunistic", "mandatory", "never").contains(v)) {
                throw new IllegalArgumentException(key + " must be opportunistic, mandatory or never (got '" + v + "')");
            }
        }

        /** The relay key address of {@code domain}. */
        public String relayAddress(String domain) {
            return relayKeyLocalPart + "@" + domain.toLowerCase(java.util.Locale.ROOT);
        }

        /** {@code opportunistic}, {@code mandatory} or {@code never} for a recipient domain. */
        public String encryptFor(String domain) {
            return recipientDomains.getOrDefault(domain.toLowerCase(java.util.Locale.ROOT), encrypt);
        }
    }

    /** True for {@code mode: encrypt-only}: no private keys are held, imported or generated. */
    public boolean encryptOnly() {
        return mode.equals("encrypt-only");
    }

    /**
     * Encrypted Sent copies: after an outbound message was relayed, a copy encrypted to the sender's own
     * key is appended to {@code folder} on the cloud IMAP server ({@code imapUrl}: imap:// with optional
     * STARTTLS, or imaps://), with the user's stored login. Failed appends are retried from a durable
     * queue every {@code retryInterval}.
     */
    public record SentCopy(Boolean enabled, java.net.URI imapUrl, String folder, Duration retryInterval, Boolean requireTls) {
        public SentCopy {
            enabled = enabled != null && enabled;
            folder = folder != null ? folder : "Sent";
            retryInterval = retryInterval != null ? retryInterval : Duration.ofMinutes(1);
            requireTls = requireTls == null || requireTls;
            if (enabled && imapUrl == null) {
                throw new IllegalArgumentException("imapUrl is required when enabled");
            }
            if (imapUrl != null && !List.of("imap", "imaps").contains(String.valueOf(imapUrl.getScheme())) || imapUrl != null && imapUrl.getHost() == null) {
                throw new IllegalArgumentException("imapUrl must be imap://HOST[:PORT] or imaps://HOST[:PORT]");
            }
            requirePositive("retryInterval", retryInterval.toMillis());
        }
    }

    /**
     * Scanning while the mail is readable (inbound before encryption, outbound after decryption): any of
     * clamd, spamd and rspamd, run in parallel within {@code budget}; {@code actions} say what a verdict
     * does, overridden per domain (the recipient's for inbound mail, the sender's for outbound).
     */
    public record Scan(Clamd clamd, Spamd spamd, Rspamd rspamd, Duration budget, ScanActions actions, Map<String, ScanActions> domains) {
        public Scan {
            budget = budget != null ? budget : Duration.ofSeconds(60);
            actions = ScanActions.merge(actions, ScanActions.DEFAULT);
            ScanActions base = actions;
            domains = domains != null ? Map.copyOf(lowerKeys(domains)) : Map.of();
            domains = domains.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                    e -> ScanActions.merge(e.getValue(), base)));
            requirePositive("budget", budget.toMillis());
        }

        public boolean any() {
            return clamd != null || spamd != null || rspamd != null;
        }

        /** The actions for mail whose policy domain is {@code domain}. */
        public ScanActions actionsFor(String domain) {
            return domains.getOrDefault(domain.toLowerCase(Locale.ROOT), actions);
        }
    }

    /** clamd by TCP ({@code address}) or Unix socket ({@code socket}); messages over {@code maxStreamSize} are not sent (clamd's StreamMaxLength). */
    public record Clamd(HostPort address, Path socket, @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxStreamSize,
                        Duration timeout) {
        public Clamd {
            if ((address == null) == (socket == null)) {
                throw new IllegalArgumentException("give either address (host:port) or socket (path)");
            }
            maxStreamSize = maxStreamSize != null ? maxStreamSize : 25L * 1024 * 1024;
            timeout = timeout != null ? timeout : Duration.ofSeconds(30);
        }
    }

    /** spamd (SPAMC/1.5 protocol); {@code user} is sent as User:. */
    public record Spamd(HostPort address, String user, @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxSize,
                        Duration timeout) {
        public Spamd {
            if (address == null) {
                throw new IllegalArgumentException("address is required");
            }
            maxSize = maxSize != null ? maxSize : 10L * 1024 * 1024;
            timeout = timeout != null ? timeout : Duration.ofSeconds(30);
        }
    }

    /** rspamd's normal worker ({@code url}, e.g. http://127.0.0.1:11333). */
    public record Rspamd(java.net.URI url, Duration timeout) {
        public Rspamd {
            if (url == null || !List.of("http", "https").contains(String.valueOf(url.getScheme()))) {
                throw new IllegalArgumentException("url must be http(s)://host:port");
            }
            timeout = timeout != null ? timeout : Duration.ofSeconds(30);
        }
    }

    /**
     * What verdicts do. {@code virus}: reject | quarantine. {@code spam}: tag | quarantine | reject;
     * {@code rejectScore}: reject at or above this score whatever {@code spam} says; {@code subjectTag}:
     * put in front of the Subject of tagged spam; {@code onFailure}: tempfail | deliver (a scanner down,
     * too slow, or the message over its size limit: never "clean").
     */
    public record ScanActions(VirusAction virus, SpamAction spam, Double rejectScore, String subjectTag, FailureAction onFailure) {
        static final ScanActions DEFAULT = new ScanActions(VirusAction.REJECT, SpamAction.TAG, null, null, FailureAction.TEMPFAIL);

        public ScanActions {
            if (subjectTag != null && (subjectTag.contains("\r") || subjectTag.contains("\n"))) {
                throw new IllegalArgumentException("subjectTag must be one line");
            }
        }

        /** {@code scan.actions.virus}: what a virus verdict does. */
        public enum VirusAction {
            REJECT, QUARANTINE;

            @com.fasterxml.jackson.annotation.JsonCreator
            public static VirusAction parse(String s) {
                return choice(VirusAction.class, "virus", s);
            }
        }

        /** {@code scan.actions.spam}: what a spam verdict does. */
        public enum SpamAction {
            TAG, QUARANTINE, REJECT;

            @com.fasterxml.jackson.annotation.JsonCreator
            public static SpamAction parse(String s) {
                return choice(SpamAction.class, "spam", s);
            }
        }

        /** {@code scan.actions.onFailure}: a message that could not be scanned is deferred, or delivered marked. */
        public enum FailureAction {
            TEMPFAIL, DELIVER;

            @com.fasterxml.jackson.annotation.JsonCreator
            public static FailureAction parse(String s) {
                return choice(FailureAction.class, "onFailure", s);
            }
        }

        // One of the enum's constants, written in lower case in the YAML; the error names the key and the choices.
        static <E extends Enum<E>> E choice(Class<E> type, String key, String s) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                    return e;
                }
            }
            throw new IllegalArgumentException(key + " must be " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(", ")) + " (got '" + s + "')");
        }

        static ScanActions merge(ScanActions over, ScanActions base) {
            if (over == null) {
                return base;
            }
            return new ScanActions(over.virus != null ? over.virus : base.virus, over.spam != null ? over.spam : base.spam,
                    over.rejectScore != null ? over.rejectScore : base.rejectScore, over.subjectTag != null ? over.subjectTag : base.subjectTag,
                    over.onFailure != null ? over.onFailure : base.onFailure);
        }
    }

    /** Quarantined mail (sealed at rest in {@code <dataDir>/quarantine}) is deleted after {@code retention}. */
    public record QuarantineSettings(Duration retention) {
        public QuarantineSettings {
            retention = retention != null ? retention : Duration.ofDays(30);
            requirePositive("retention", retention.toMillis());
        }
    }

    private static void requirePositive(String name, Number n) {
        if (n.longValue() <= 0) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
