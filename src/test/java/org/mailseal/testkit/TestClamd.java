package org.mailseal.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * clamd for tests, on a loopback port (and a Unix socket), with only our own signature: the MD5 of the
 * EICAR file as {@code Mailseal-Test.EICAR} (no freshclam download here).
 */
public final class TestClamd {

    public static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    private TestClamd() {
    }

    /** Starts clamd with its files under {@code dir}; the daemon's port is {@code port}. */
    public static Daemon start(Path dir, int port) throws Exception {
        String clamd = Peers.require("clamd", "clamav-daemon");
        String sigtool = Peers.require("sigtool", "clamav");
        Path db = Files.createDirectories(dir.resolve("clamdb"));
        Path eicar = dir.resolve("eicar.com");
        Files.writeString(eicar, EICAR, StandardCharsets.US_ASCII);
        String sig = Cmd.run(sigtool, "--md5", eicar.toString()).ok("sigtool --md5").outText().trim();
        Files.writeString(db.resolve("mailseal-test.hdb"), sig.substring(0, sig.lastIndexOf(':') + 1) + "Mailseal-Test.EICAR\n");
        Path conf = dir.resolve("clamd.conf");
        Files.writeString(conf, "TCPSocket " + port + "\nTCPAddr 127.0.0.1\nLocalSocket " + dir.resolve("clamd.sock")
                + "\nDatabaseDirectory " + db + "\nForeground yes\n"
                + "LogFile " + dir.resolve("clamd.log") + "\nPidFile " + dir.resolve("clamd.pid") + "\nTemporaryDirectory " + dir + "\n"
                + "StreamMaxLength 2M\nBytecode no\n");
        return Daemon.start("clamd", List.of(clamd, "--config-file=" + conf), Map.of(), dir.resolve("clamd.out"), port, Duration.ofSeconds(60));
    }
}
