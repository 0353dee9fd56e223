package org.mailseal.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real authoritative DNS server for tests: Knot DNS (Debian {@code knot}) on 127.0.0.1 at a free port,
 * serving zones the test writes. Peers that cannot be told a port (libopendkim asks port 53 of the
 * servers in resolv.conf) run through {@link #inNamespace}: a private network and mount namespace where a
 * second knotd with the same zones listens on 127.0.0.1:53 and resolv.conf points at it.
 */
public final class Knot implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final Map<String, String> zones = new LinkedHashMap<>();
    private final Map<String, Integer> serials = new LinkedHashMap<>();
    private Process process;

    public Knot(Path dir) throws IOException {
        Peers.require("knotd", "knot");
        Peers.require("knotc", "knot");
        this.dir = Files.createDirectories(dir);
        Files.createDirectories(dir.resolve("zones"));
        this.port = TestGateway.freePort();
    }

    public int port() {
        return port;
    }

    /** The {@code dns:} config line that points a gateway at this server. */
    public String dnsYaml() {
        return "dns: {servers: [\"127.0.0.1:" + port + "\"], timeout: 2s}";
    }

    /** Sets (or replaces) the zone {@code origin} with {@code records} (zone-file lines relative to the origin); reloads a running server. */
    public void zone(String origin, String records) throws Exception {
        install(origin, unsigned(origin, records));
    }

    private String unsigned(String origin, String records) {
        int serial = serials.merge(origin, 1, Integer::sum);
        return "$ORIGIN " + origin + ".\n$TTL 5\n@ SOA ns." + origin + ". hostmaster." + origin + ". " + serial + " 3600 600 86400 5\n"
                + "@ NS ns." + origin + ".\nns A 127.0.0.1\n" + records + "\n";
    }

    /**
     * Sets the zone {@code origin}, signed with DNSSEC by ldns-signzone (Debian {@code ldnsutils}) under a key made
     * once per zone (ECDSA P-256, RFC 6605); {@code tamper} may change the signed text (to break a signature).
     * Returns the zone's DS record, for a validating resolver's trust anchors.
     */
    public String signedZone(String origin, String records, java.util.function.UnaryOperator<String> tamper) throws Exception {
        Peers.require("ldns-signzone", "ldnsutils");
        Peers.require("ldns-keygen", "ldnsutils");
        Path signing = Files.createDirectories(dir.resolve("signing"));
        Path keyName = signing.resolve(origin + ".keyname");
        if (!Files.exists(keyName)) {
            Cmd.Result k = Cmd.run("sh", "-c", "cd '" + signing + "' && ldns-keygen -a ECDSAP256SHA256 -k " + origin).ok("ldns-keygen");
            Files.writeString(keyName, k.outText().strip());
        }
        String key = Files.readString(keyName).strip();
        Path zone = signing.resolve(origin + ".zone");
        Files.writeString(zone, unsigned(origin, records));
        Cmd.run("sh", "-c", "cd '" + signing + "' && ldns-signzone -o " + origin + " " + zone + " " + key).ok("ldns-signzone");
        install(origin, tamper.apply(Files.readString(signing.resolve(origin + ".zone.signed"))));
        return Files.readString(signing.resolve(key + ".ds")).strip();
    }

    private void install(String origin, String text) throws Exception {
        Path file = dir.resolve("zones").resolve(origin + ".zone");
        Files.writeString(file, text);
        // A zone knotd cannot load would only show in its log: check it first.
        String previous = zones.put(origin, text);
        Cmd.Result check = Cmd.run("knotc", "-c", conf("host", port).toString(), "zone-check", origin);
        if (check.code() != 0) {
            throw new IllegalArgumentException("zone " + origin + " does not load: " + check.outText() + check.err() + "\n" + text);
        }
        boolean known = previous != null;
        if (process != null) {
            if (known) {
                Cmd.run("knotc", "-c", conf("host", port).toString(), "zone-reload", origin).ok("knotc zone-reload");
            } else {
                restart();
            }
        }
    }

    private Path conf(String name, int listenPort) throws IOException {
        Path run = Files.createDirectories(dir.resolve("run-" + name));
        StringBuilder c = new StringBuilder("server:\n    listen: 127.0.0.1@" + listenPort + "\n    rundir: \"" + run + "\"\n"
                + "log:\n  - target: stderr\n    any: warning\n"
                + "database:\n    storage: \"" + run + "\"\n"
                + "template:\n  - id: default\n    storage: \"" + dir.resolve("zones") + "\"\n    file: \"%s.zone\"\n"
                + "    zonefile-load: whole\n    journal-content: none\n    zonefile-sync: -1\n"
                + "zone:\n");
        for (String z : zones.keySet()) {
            c.append("  - domain: ").append(z).append('\n');
        }
        Path f = dir.resolve("knot-" + name + ".conf");
        Files.writeString(f, c.toString());
        return f;
    }

    /** Starts (or restarts) the server and waits until it answers. */
    public Knot start() throws Exception {
        Path c = conf("host", port);
        process = new ProcessBuilder("knotd", "-c", c.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("knotd.log").toFile()).start();
        for (int i = 0; i < 100; i++) {
            if (Cmd.run("knotc", "-c", c.toString(), "status").code() == 0) {
                return this;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("knotd did not start: " + Files.readString(dir.resolve("knotd.log")));
    }

    private void restart() throws Exception {
        stop();
        start();
    }

    private void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    /**
     * Runs {@code command} (a shell line; stdin from {@code stdin} if not null) in its own network and mount
     * namespace, where 127.0.0.1:53 serves these zones and /etc/resolv.conf names it. Needs root and unshare.
     */
    public Cmd.Result inNamespace(Path stdin, String command) throws Exception {
        Peers.requireRoot("a private network namespace for a peer that only asks DNS on port 53");
        Path c = conf("ns", 53);
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n");
        Path pid = dir.resolve("run-ns").resolve("knot.pid");
        String script = "set -e; ip link set lo up; mount --bind '" + resolv + "' /etc/resolv.conf; knotd -d -c '" + c + "';"
                + " for i in $(seq 1 100); do knotc -c '" + c + "' status >/dev/null 2>&1 && break; sleep 0.05; done;"
                + " set +e; ( " + command + " ); rc=$?; kill $(cat '" + pid + "') 2>/dev/null; exit $rc";
        return Cmd.run(stdin, Map.of(), "unshare", "--mount", "--net", "sh", "-c", script);
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
