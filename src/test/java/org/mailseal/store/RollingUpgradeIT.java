package org.mailseal.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mailseal.config.ConfigLoader;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.StoreKeys;
import org.mailseal.testkit.TestGateway;
import org.mailseal.testkit.TestPostgres;

/**
 * A rolling upgrade of a two-node cluster on one PostgreSQL, with two real builds: node B runs the
 * previous release (this repository's state just before its newest schema migration, built here from the
 * git history), node A this build's {@code target/mailseal.jar}. B makes the schema it knows and the
 * recipient's key; A joins and migrates the shared schema while B runs; both take mail alternately; B
 * restarts still old against the newer schema (it ignores migrations newer than itself); then B is
 * upgraded. Every message gets a 250 and reaches the next hop encrypted to the one key, which decrypts it.
 */
@NeedsPeers({"git=git", "mvn=maven"})
class RollingUpgradeIT {

    static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.*\\.sql");

    Path dir;
    CapturingSink sink;
    List<GatewayProcess> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        List<Object> all = new ArrayList<>(nodes);
        all.add(sink);
        Cleanup.all(dir, all.toArray());
    }

    /** The newest migration in this checkout, e.g. V17__key_source.sql. */
    static Path newestMigration(Path root) throws Exception {
        try (Stream<Path> files = Files.list(root.resolve("src/main/resources/db/migration"))) {
            return files.filter(p -> MIGRATION.matcher(p.getFileName().toString()).matches())
                    .max((a, b) -> Integer.compare(version(a), version(b))).orElseThrow();
        }
    }

    static int version(Path migration) {
        Matcher m = MIGRATION.matcher(migration.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * The previous release's jar: the commit before the one that added the newest migration, exported from
     * the git history and built with Maven (tests skipped). A checkout without that history (a tarball, a
     * shallow clone) cannot show a mixed cluster: the test is skipped, saying so.
     */
    Path previousRelease(Path root, Path newest) throws Exception {
        Peers.require("git", "git");
        Peers.require("mvn", "maven");
        Cmd.Result added = Cmd.run("git", "-c", "safe.directory=*", "-C", root.toString(), "log", "--diff-filter=A", "--format=%H", "-1", "--",
                root.relativize(newest).toString());
        String commit = added.outText().strip();
        Cmd.Result parent = commit.isEmpty() ? added : Cmd.run("git", "-c", "safe.directory=*", "-C", root.toString(), "rev-parse", "--verify", "-q", commit + "^");
        Assumptions.assumeTrue(added.code() == 0 && !commit.isEmpty() && parent.code() == 0,
                "needs the checkout's git history (a full clone, not a tarball or a shallow clone) to build the release before "
                        + newest.getFileName() + ": " + added.err() + parent.err());
        String old = parent.outText().strip();
        Path src = Files.createDirectories(dir.resolve("previous"));
        Path tar = dir.resolve("previous.tar");
        Cmd.run("git", "-c", "safe.directory=*", "-C", root.toString(), "archive", "--format=tar", "-o", tar.toString(), old).ok("git archive " + old);
        Cmd.run("tar", "-x", "-f", tar.toString(), "-C", src.toString()).ok("tar");
        Cmd.run("mvn", "-B", "-q", "-f", src.resolve("pom.xml").toString(), "package", "-DskipTests").ok("building the previous release " + old);
        Path jar = src.resolve("target/mailseal.jar");
        assertThat(jar).exists();
        return jar;
    }

    static String schemaVersion(String schema) throws Exception {
        try (Connection c = DriverManager.getConnection(System.getenv("MAILSEAL_TEST_PG_URL"), System.getenv("MAILSEAL_TEST_PG_USER"),
                System.getenv("MAILSEAL_TEST_PG_PASSWORD")); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT version FROM " + schema + ".flyway_schema_history WHERE success ORDER BY installed_rank DESC LIMIT 1")) {
            return r.next() ? r.getString(1) : null;
        }
    }

    static String send(int port, String body) throws Exception {
        return SmtpClient.submit(port, "mx.sender.test", "bob@sender.test", "alice@example.com",
                "From: bob@sender.test\r\nTo: alice@example.com\r\nSubject: during the upgrade\r\n\r\n" + body + "\r\n");
    }

    GatewayProcess node(Path jar, Path cfg, String name, int port) throws Exception {
        GatewayProcess g = GatewayProcess.startJar(jar, cfg, dir.resolve(name + "-" + nodes.size() + ".log"), port);
        nodes.add(g);
        return g;
    }

    @Test
    void aClusterUpgradedOneNodeAtATimeKeepsMailFlowing() throws Exception {
        dir = Files.createTempDirectory("rolling-upgrade");
        Path root = Path.of("").toAbsolutePath();
        Path newJar = root.resolve("target/mailseal.jar");
        assertThat(newJar).as("this build's jar (the IT runs after package)").exists();
        Path newest = newestMigration(root);
        Path oldJar = previousRelease(root, newest);
        String db = TestPostgres.schema("rolling_upgrade", dir);
        String keys = TestGateway.masterKeys(dir, "rolling upgrade passphrase");
        sink = new CapturingSink();
        int portA = TestGateway.freePort();
        int portB = TestGateway.freePort();
        Path cfgA = dir.resolve("a.yml");
        Path cfgB = dir.resolve("b.yml");
        for (Object[] n : new Object[][] {{cfgA, "a-data", portA}, {cfgB, "b-data", portB}}) {
            Files.writeString((Path) n[0], TestGateway.yaml(dir.resolve((String) n[1]), (int) n[2], 0, sink.port(), db, keys,
                    "policy: {encrypt: mandatory}", "authentication: {verifyInbound: false}"));
        }
        List<String> bodies = new ArrayList<>();

        // B, the previous release, makes the schema it knows, and alice's key
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Cmd.run(java, "-jar", oldJar.toString(), "keys", "generate", "--email", "alice@example.com", "-c", cfgB.toString())
                .ok("keys generate, previous release");
        GatewayProcess b = node(oldJar, cfgB, "b-old", portB);
        assertThat(schemaVersion("rolling_upgrade")).isEqualTo(String.valueOf(version(newest) - 1));
        for (int i = 0; i < 3; i++) {
            bodies.add("old node alone " + i);
            assertThat(send(portB, bodies.get(bodies.size() - 1))).startsWith("250");
        }
        // A, this build, joins: it migrates the shared schema while B runs
        GatewayProcess a = node(newJar, cfgA, "a-new", portA);
        assertThat(schemaVersion("rolling_upgrade")).isEqualTo(String.valueOf(version(newest)));
        for (int i = 0; i < 10; i++) {
            bodies.add("mixed cluster " + i);
            assertThat(send(i % 2 == 0 ? portA : portB, bodies.get(bodies.size() - 1))).as("message %d, node %s", i, i % 2 == 0 ? "A (new)" : "B (old)")
                    .startsWith("250");
        }
        // B restarts, still old, against the newer schema
        assertThat(b.terminate(Duration.ofSeconds(20))).as("a graceful stop").isIn(0, 143);
        b = node(oldJar, cfgB, "b-old-again", portB);
        for (int i = 0; i < 2; i++) {
            bodies.add("old node after its restart " + i);
            assertThat(send(portB, bodies.get(bodies.size() - 1))).startsWith("250");
        }
        // B upgraded
        assertThat(b.terminate(Duration.ofSeconds(20))).as("a graceful stop").isIn(0, 143);
        node(newJar, cfgB, "b-new", portB);
        for (int i = 0; i < 2; i++) {
            bodies.add("both new " + i);
            assertThat(send(i % 2 == 0 ? portA : portB, bodies.get(bodies.size() - 1))).startsWith("250");
        }
        assertThat(sink.messages).hasSize(bodies.size());
        for (int i = 0; i < bodies.size(); i++) {
            String got = sink.messages.get(i).text();
            assertThat(got).as(bodies.get(i)).contains("multipart/encrypted").doesNotContain(bodies.get(i));
            assertThat(StoreKeys.decrypt(ConfigLoader.load(cfgA), "alice@example.com", got)).as(bodies.get(i)).contains(bodies.get(i));
        }
        assertThat(a.isAlive()).isTrue();
        for (Path log : Files.list(dir).filter(p -> p.toString().endsWith(".log")).toList()) {
            assertThat(Files.readString(log)).as(log.getFileName().toString()).doesNotContain("ERROR", "Exception");
        }
    }
}
