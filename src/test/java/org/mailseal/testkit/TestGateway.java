package org.mailseal.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;

/** Starts a gateway for a test: loopback ports, data in a temp dir, relaying to a given port. */
public final class TestGateway {

    private TestGateway() {
    }

    public static int freePort() throws IOException {
        // Not the kernel's pick (port 0): that port is free only until it is closed, and then it is in the
        // ephemeral range (32768-60999), where the other test JVM's outgoing connections take their source
        // ports - a test then found "its" port taken. Each surefire fork counts through its own range
        // below the ephemeral one instead, skipping ports something holds.
        int fork = Math.max(1, Integer.getInteger("mailseal.testFork", 1));
        int base = 20_000 + (fork - 1) % 4 * PORTS_PER_FORK;
        for (int i = 0; i < PORTS_PER_FORK; i++) {
            int port = base + Math.floorMod(NEXT_PORT.getAndIncrement(), PORTS_PER_FORK);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // held by something else: the next one
            }
        }
        throw new IOException("no free port in " + base + "-" + (base + PORTS_PER_FORK - 1));
    }

    private static final int PORTS_PER_FORK = 3000;

    private static TestDns dns;

    /**
     * The test gateways' DNS server (one per test JVM, on loopback), so that SPF, DKIM and DMARC lookups of
     * inbound mail get quick answers instead of waiting on a resolver the test machine may not reach. The
     * test senders' domains publish SPF for loopback and {@code p=none} DMARC, so their mail passes DMARC
     * (and may teach Autocrypt keys); every other name is NXDOMAIN.
     */
    public static synchronized int dnsPort() {
        if (dns == null) {
            try {
                java.util.List<org.xbill.DNS.Record> rs = new java.util.ArrayList<>();
                for (String d : java.util.List.of("partner.test", "internet.test", "remote.test")) {
                    rs.add(new org.xbill.DNS.TXTRecord(org.xbill.DNS.Name.fromString(d + "."), org.xbill.DNS.DClass.IN, 60, "v=spf1 ip4:127.0.0.0/8 -all"));
                    rs.add(new org.xbill.DNS.TXTRecord(org.xbill.DNS.Name.fromString("_dmarc." + d + "."), org.xbill.DNS.DClass.IN, 60, "v=DMARC1; p=none"));
                }
                dns = new TestDns(rs);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return dns.port();
    }
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Writes {@code passphrase} to {@code dir/master.pass} (0600, as the gateway demands) and returns the
     * {@code keys:} line that points at it, with a cheap Argon2 for tests.
     */
    public static String masterKeys(Path dir, String passphrase) throws java.io.IOException {
        Path master = dir.resolve("master.pass");
        java.nio.file.Files.writeString(master, passphrase + "\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}";
    }

    /** The YAML for a test gateway; {@code extra} lines are appended (later keys must not repeat). */
    public static String yaml(Path dataDir, int smtpPort, int lmtpPort, int relayPort, String... extra) {
        StringBuilder sb = new StringBuilder();
        sb.append("hostname: gw.test\n");
        sb.append("dataDir: ").append(dataDir).append('\n');
        sb.append("smtp: {listen: \"127.0.0.1:").append(smtpPort).append("\"}\n");
        sb.append("lmtp: {enabled: ").append(lmtpPort > 0).append(", listen: \"127.0.0.1:").append(Math.max(lmtpPort, 1)).append("\"}\n");
        sb.append("relay: {defaultRoute: \"[127.0.0.1]:").append(relayPort).append("\", tls: none, connectTimeout: 5s, commandTimeout: 10s, dataDoneTimeout: 10s}\n");
        sb.append("auth: {argon2MemoryKiB: 1024, argon2Iterations: 1}\n");
        boolean hasDomains = false;
        boolean hasNetworks = false;
        boolean hasMetrics = false;
        boolean hasPolicy = false;
        boolean hasKeys = false;
        boolean hasDns = false;
        for (String e : extra) {
            hasDns |= e.startsWith("dns:");
            hasPolicy |= e.startsWith("policy:");
            hasKeys |= e.startsWith("keys:");
            hasDomains |= e.startsWith("domains:");
            hasNetworks |= e.startsWith("networks:");
            hasMetrics |= e.startsWith("metrics:");
            sb.append(e).append('\n');
        }
        if (!hasDomains) {
            sb.append("domains: {local: [example.com]}\n");
        }
        if (!hasNetworks) {
            sb.append("networks: {trusted: [], xforward: [127.0.0.0/8]}\n");
        }
        if (!hasMetrics) {
            sb.append("metrics: {enabled: false}\n");
        }
        if (!hasPolicy) {
            // Relay-core tests run with encryption off; the OpenPGP tests set their own policy.
            sb.append("policy: {encrypt: never}\n");
        }
        if (!hasKeys) {
            sb.append("keys: {argon2MemoryKiB: 1024, argon2Iterations: 1}\n");
        }
        if (!hasDns) {
            sb.append("dns: {servers: [\"127.0.0.1:").append(dnsPort()).append("\"], timeout: 2s}\n");
        }
        return sb.toString();
    }

    /** Waits until something listens on {@code port}. */
    public static void waitForPort(int port, java.time.Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("nothing listening on port " + port);
    }

    public static Gateway start(String yaml) throws Exception {
        MailsealConfig c = ConfigLoader.parse("test", yaml);
        return Gateway.start(c);
    }
}
