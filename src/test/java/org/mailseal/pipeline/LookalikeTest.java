package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.Lookalikes;
import org.mailseal.testkit.StoreKeys;
import org.mailseal.testkit.TestGateway;

/**
 * Plaintext dressed up as ciphertext, through a running gateway under {@code encrypt: mandatory}: no
 * canary reaches the next hop in clear, each message arrives as mailseal's own PGP/MIME and decrypts
 * with alice's key to the message as sent; genuine ciphertext still passes byte for byte.
 */
class LookalikeTest {

    @TempDir
    Path dir;

    @Test
    void noLookalikePassesInPlaintext() throws Exception {
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "lookalike master\n");
        Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}");
            List<Lookalikes.Case> cases = Lookalikes.all();
            try (Gateway gw = TestGateway.start(y)) {
                for (Lookalikes.Case c : cases) {
                    String reply = EncryptionFlowTest.send(port, List.of("alice@example.com"), new String(c.bytes(), StandardCharsets.UTF_8));
                    assertThat(reply).as(c.name()).startsWith("250");
                }
                for (Corpus.Message m : Corpus.load("passthrough")) {
                    assertThat(Corpus.send(port, m, "alice@example.com")).as(m.name()).startsWith("250");
                }
            }
            assertThat(sink.messages).hasSize(cases.size() + Corpus.load("passthrough").size());
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            List<String> leaks = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                Lookalikes.Case c = cases.get(i);
                String got = sink.messages.get(i).text();
                if (got.contains(c.canary())) {
                    leaks.add(c.name());
                }
                assertThat(got).as(c.name()).contains("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"");
                String inner = StoreKeys.decrypt(cfg, "alice@example.com", got);
                String sent = new String(c.bytes(), StandardCharsets.UTF_8);
                String body = sent.substring(sent.indexOf("\r\n\r\n") + 4);
                assertThat(inner).as(c.name() + " decrypts to the message as sent").endsWith(body);
            }
            assertThat(leaks).as("canaries in clear at the next hop").isEmpty();
            List<Corpus.Message> pass = Corpus.load("passthrough");
            for (int i = 0; i < pass.size(); i++) {
                byte[] got = sink.messages.get(cases.size() + i).data();
                String s = new String(got, StandardCharsets.ISO_8859_1);
                String body = s.substring(s.indexOf("\r\n\r\n") + 4);
                String orig = new String(pass.get(i).bytes(), StandardCharsets.ISO_8859_1);
                assertThat(body).as(pass.get(i).name() + " passes byte for byte").isEqualTo(orig.substring(orig.indexOf("\r\n\r\n") + 4));
            }
        }
    }
}
