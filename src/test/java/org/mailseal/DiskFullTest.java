package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** The data directory on a small tmpfs that fills up: 452 4.3.1 while it is full, normal service once space returns. */
class DiskFullTest {

    @Test
    void fullDiskGets452AndServiceComesBack() throws Exception {
        Peers.requireRoot("mounts a small tmpfs as the data directory");
        Path mnt = Files.createTempDirectory("diskfull");
        Cmd.Result m = Cmd.run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt.toString());
        if (m.code() != 0) {
            Files.deleteIfExists(mnt);
            // A container without CAP_SYS_ADMIN: the machine cannot run this test at all (not a missing package).
            org.junit.jupiter.api.Assumptions.abort("cannot mount a tmpfs here (" + m.err().trim() + ")");
        }
        try (CapturingSink sink = new CapturingSink()) {
            int port = TestGateway.freePort();
            try (Gateway gw = TestGateway.start(TestGateway.yaml(mnt.resolve("data"), port, 0, sink.port()))) {
                Path filler = mnt.resolve("filler");
                // Fill what is left (dd stops at ENOSPC).
                Cmd.run("dd", "if=/dev/zero", "of=" + filler, "bs=64k");
                String body = ("z".repeat(76) + "\r\n").repeat(2000); // ~156 KB: does not fit
                try (SmtpClient c = new SmtpClient(port)) {
                    c.expect("220");
                    c.send("EHLO x");
                    c.expect("250");
                    assertThat(c.sendMail("a@internet.test", List.of("alice@example.com"), "Subject: full\r\n\r\n" + body)).startsWith("452 4.3.1");
                }
                assertThat(sink.messages).isEmpty();
                Files.delete(filler);
                try (SmtpClient c = new SmtpClient(port)) {
                    c.expect("220");
                    c.send("EHLO x");
                    c.expect("250");
                    assertThat(c.sendMail("a@internet.test", List.of("alice@example.com"), "Subject: again\r\n\r\n" + body)).startsWith("250");
                }
                assertThat(sink.messages).hasSize(1);
            }
        } finally {
            Cmd.run("umount", mnt.toString());
            Files.deleteIfExists(mnt);
        }
    }
}
