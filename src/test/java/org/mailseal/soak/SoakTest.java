package org.mailseal.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mailseal.testkit.Cmd;

/** The short soak of {@link Soak} (the full run: bench/soak.sh): nothing lost, nothing leaked, every copy byte-exact. */
class SoakTest {

    @Test
    void shortSoakWithFaultsLosesNothing() throws Exception {
        Path dir = Files.createTempDirectory("soak");
        try {
            Soak.Result r = new Soak(dir, Integer.getInteger("soak.messages", 1000), 20, 5L * 1024 * 1024).run();
            System.out.println(r.line());
            assertThat(r.problems()).as(r.line()).isEmpty();
            assertThat(r.lost()).isZero();
            assertThat(r.leaks()).isZero();
            assertThat(r.mismatched()).isZero();
            assertThat(r.faultCounts()).as("every kind of fault happened").containsKeys("kill-9", "restart-graceful", "sink-554", "sink-421",
                    "sink-drop-mid-data", "sink-stall");
            assertThat(r.ok()).as(r.line()).isTrue();
        } finally {
            Cmd.run("umount", dir.resolve("datafs").toString()); // if the run failed before unmounting
            Cmd.run("rm", "-rf", dir.toString());
        }
    }
}
