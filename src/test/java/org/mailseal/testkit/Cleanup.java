package org.mailseal.testkit;

import java.nio.file.Path;

/** The end of a suite with real peers: closes what was opened (gateways, sinks, servers), stops GnuPG agents, removes the scratch dir. */
public final class Cleanup {

    private Cleanup() {
    }

    /** Each non-null resource is closed ({@link AutoCloseable}) or stopped ({@link Gpg}, {@link Process}), in order; then {@code dir} goes. */
    public static void all(Path dir, Object... resources) throws Exception {
        for (Object r : resources) {
            if (r instanceof AutoCloseable c) {
                c.close();
            } else if (r instanceof Gpg g) {
                g.stop();
            } else if (r instanceof Process p) {
                p.destroy();
                p.waitFor();
            }
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }
}
