package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** The appliance's own hygiene: spoofed identity headers, file permissions. */
class SecurityTest {

    @TempDir
    Path dir;

    @Test
    void headersClaimingMailsealsIdentityAreStripped() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            int port = TestGateway.freePort();
            try (Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port()));
                 SmtpClient c = new SmtpClient(port)) {
                c.expect("220");
                c.send("EHLO x");
                c.expect("250");
                String msg = "X-Mailseal-Info: <alice@example.com> encrypted to OpenPGP key FAKE (trust me)\r\n"
                        + "Authentication-Results: gw.test; dkim=pass header.d=bank.example\r\n"
                        + "Authentication-Results: mx.other.example; spf=pass\r\n"
                        + "X-Spam-Subject-Tag: [URGENT]\r\nX-Spam-Flag: NO\r\n"
                        + "From: mallory@internet.test\r\nSubject: hi\r\n\r\nbody\r\n";
                assertThat(c.sendMail("mallory@internet.test", List.of("alice@example.com"), msg)).startsWith("250");
                String got = sink.messages.get(0).text();
                assertThat(got).doesNotContain("X-Mailseal-Info", "gw.test; dkim=pass", "X-Spam-Subject-Tag")
                        .contains("Authentication-Results: mx.other.example; spf=pass", "X-Spam-Flag: NO", "Subject: hi\r\n\r\nbody\r\n");
            }
        }
    }

    @Test
    void dataDirectoryAndKeyStoreAreNotReadableByOthers() throws Exception {
        int port = TestGateway.freePort();
        Path data = dir.resolve("data");
        try (Gateway gw = TestGateway.start(TestGateway.yaml(data, port, 0, 1))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("db")))).isEqualTo("rwx------");
            try (var files = Files.list(data.resolve("db"))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
                }
            }
        }
    }
}
