package org.mailseal.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mailseal.testkit.Cmd;

/**
 * Two gateway processes on one PostgreSQL, 2,000 messages sent round-robin (a retry goes to the other
 * node), node A killed with -9 twice under load and started again: the ledger finds every message that got
 * a 250 at the next hop, encrypted, decrypting byte-exact; nothing lost.
 */
class ClusterSoakTest {

    @Test
    void twoNodesLoseNothingWhenOneIsKilledTwice() throws Exception {
        Path dir = Files.createTempDirectory("cluster-soak");
        try {
            String db = org.mailseal.testkit.TestPostgres.schema("cluster_soak", dir);
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
