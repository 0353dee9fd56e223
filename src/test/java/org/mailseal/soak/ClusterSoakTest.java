package org.mailseal.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Peers;

/**
 * Two gateway processes on one PostgreSQL, 2,000 messages sent round-robin (a retry goes to the other
 * node), node A killed with -9 twice under load and started again: the ledger finds every message that got
 * a 250 at the next hop, encrypted, decrypting byte-exact; nothing lost.
 */
class ClusterSoakTest {

    @Test
    void twoNodesLoseNothingWhenOneIsKilledTwice() throws Exception {
        String url = System.getenv("MAILSEAL_TEST_PG_URL");
        if (url == null) {
            String msg = "PostgreSQL not configured: install the Debian package 'postgresql' and run .ci/postgres-setup (sets MAILSEAL_TEST_PG_URL)";
            if (Peers.required()) {
                Assertions.fail(msg + " -- required under CI");
            }
            Assumptions.abort(msg);
        }
        String user = System.getenv("MAILSEAL_TEST_PG_USER");
        String password = System.getenv("MAILSEAL_TEST_PG_PASSWORD");
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS cluster_soak CASCADE");
            s.execute("CREATE SCHEMA cluster_soak");
        }
        Path dir = Files.createTempDirectory("cluster-soak");
        try {
            Path pw = dir.resolve("db.pass");
            Files.writeString(pw, password + "\n");
            String db = "database: {url: \"" + url + "?currentSchema=cluster_soak\", user: " + user + ", passwordFile: \"" + pw + "\"}";
            Soak.Result r = Soak.cluster(dir, Integer.getInteger("soak.clusterMessages", 2000), 10, 64 * 1024, db, 2).run();
            System.out.println(r.line());
            assertThat(r.problems()).as(r.line()).isEmpty();
            assertThat(r.lost()).isZero();
            assertThat(r.leaks()).isZero();
            assertThat(r.mismatched()).isZero();
            assertThat(r.faultCounts()).containsEntry("kill-9", 2);
            assertThat(r.ok()).as(r.line()).isTrue();
        } finally {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }
}
