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

    /** Ciphertext made now by gpg, sq, rnp (OpenPGP, PGP/MIME and inline) and openssl (S/MIME) passes byte for byte. */
    @Test
    void genuineCiphertextFromEveryPeerPassesByteIdentical() throws Exception {
        String gpgBin = org.mailseal.testkit.Peers.require("gpg", "gnupg");
        String sq = org.mailseal.testkit.Peers.require("sq", "sq");
        String rnp = org.mailseal.testkit.Peers.require("rnp", "rnp");
        String rnpkeys = org.mailseal.testkit.Peers.require("rnpkeys", "rnp");
        String openssl = org.mailseal.testkit.Peers.require("openssl", "openssl");
        org.mailseal.testkit.Gpg gpg = new org.mailseal.testkit.Gpg(dir.resolve("gnupg"));
        try {
            gpg.run("--passphrase", "", "--quick-gen-key", "<carol@example.com>", "future-default", "default", "never");
            Path pub = dir.resolve("carol.pub");
            Files.write(pub, gpg.run("--armor", "--export", "carol@example.com").out());
            Path rnpHome = Files.createDirectories(dir.resolve("rnp"));
            org.mailseal.testkit.Cmd.run(rnpkeys, "--homedir", rnpHome.toString(), "--import", pub.toString()).ok("rnpkeys import");
            org.mailseal.testkit.Cmd.run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("c.key").toString(),
                    "-out", dir.resolve("c.pem").toString(), "-days", "2", "-subj", "/CN=carol", "-addext",
                    "subjectAltName=email:carol@example.com").ok("openssl req");
            Path plain = dir.resolve("plain.eml");
            Files.writeString(plain, "Content-Type: text/plain\r\n\r\nfor carol only\r\n");
            Path rnpOut = dir.resolve("rnp.asc");
            org.mailseal.testkit.Cmd.run(rnp, "--homedir", rnpHome.toString(), "--encrypt", "-r", "carol@example.com", "--armor", "--overwrite",
                    "--output", rnpOut.toString(), plain.toString()).ok("rnp encrypt");
            java.util.Map<String, String> armors = new java.util.LinkedHashMap<>();
            armors.put("gpg", gpg.run("--trust-model", "always", "--armor", "--encrypt", "-r", "carol@example.com", "--output", "-", plain.toString()).outText());
            armors.put("sq", org.mailseal.testkit.Cmd.run(sq, "encrypt", "--recipient-cert", pub.toString(), plain.toString()).ok("sq encrypt").outText());
            armors.put("rnp", Files.readString(rnpOut));
            String smime = org.mailseal.testkit.Cmd.run(openssl, "cms", "-encrypt", "-aes256", "-binary", "-in", plain.toString(),
                    dir.resolve("c.pem").toString()).ok("openssl cms -encrypt").outText().replaceAll("\r?\n", "\r\n");
            String head = "From: bob@internet.test\r\nTo: carol@example.com\r\nSubject: peer\r\n";
            java.util.Map<String, String> messages = new java.util.LinkedHashMap<>();
            for (var a : armors.entrySet()) {
                String armor = a.getValue().strip().replaceAll("\r?\n", "\r\n") + "\r\n";
                messages.put(a.getKey() + " PGP/MIME", head + "MIME-Version: 1.0\r\nContent-Type: multipart/encrypted;"
                        + " protocol=\"application/pgp-encrypted\"; boundary=\"p\"\r\n\r\n--p\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
                        + "Version: 1\r\n\r\n--p\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "--p--\r\n");
                messages.put(a.getKey() + " inline", head + "Content-Type: text/plain\r\n\r\n" + armor);
            }
            messages.put("openssl S/MIME", head + smime);
            Path master = dir.resolve("master.pass");
            Files.writeString(master, "lookalike master\n");
            Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            int port = TestGateway.freePort();
            try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                    "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}",
                    "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}"))) {
                List<String> names = new ArrayList<>(messages.keySet());
                for (String n : names) {
                    assertThat(EncryptionFlowTest.send(port, List.of("carol@example.com"), messages.get(n))).as(n).startsWith("250");
                }
                assertThat(sink.messages).hasSize(names.size());
                for (int i = 0; i < names.size(); i++) {
                    String got = sink.messages.get(i).text();
                    assertThat(got.substring(got.indexOf("\r\nFrom: ") + 2)).as(names.get(i) + " passes byte for byte").isEqualTo(messages.get(names.get(i)));
                }
            }
        } finally {
            gpg.stop();
        }
    }
}
