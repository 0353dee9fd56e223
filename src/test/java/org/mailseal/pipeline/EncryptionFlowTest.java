package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.policy.PolicyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/** The inbound encryption flow through a running gateway: policy, grouping, pass-through, fail closed. */
class EncryptionFlowTest {

    @TempDir
    Path dir;

    static final String MSG = "From: Bob <bob@internet.test>\r\nTo: alice@example.com\r\nCc: bob2@example.com\r\n"
            + "Subject: Secret plans\r\nKeywords: merger\r\nMessage-ID: <flow-1@internet.test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
            + "\r\nThe plans are secret.\r\n";

    String yaml(int port, int sink, String... extra) throws Exception {
        List<String> all = new ArrayList<>(List.of(extra));
        if (all.stream().noneMatch(e -> e.startsWith("keys:"))) {
            all.add(TestGateway.masterKeys(dir, "flow master"));
        }
        if (all.stream().noneMatch(e -> e.startsWith("policy:"))) {
            all.add("policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}");
        }
        return TestGateway.yaml(dir.resolve("data"), port, 0, sink, all.toArray(new String[0]));
    }

    static String send(int port, List<String> rcpts, String msg) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO flow.test");
            c.expect("250");
            c.send("MAIL FROM:<bob@internet.test>");
            c.expect("250");
            for (String r : rcpts) {
                c.send("RCPT TO:<" + r + ">");
                c.expect("250");
            }
            c.send("DATA");
            c.expect("354");
            c.raw(msg + ".\r\n");
            return c.reply();
        }
    }

    static List<Long> recipientKeyIds(String message) throws Exception {
        int b = message.indexOf("-----BEGIN PGP MESSAGE-----");
        int e = message.indexOf("-----END PGP MESSAGE-----") + 25;
        PGPObjectFactory f = new PGPObjectFactory(PGPUtil.getDecoderStream(new ByteArrayInputStream(message.substring(b, e).getBytes(StandardCharsets.US_ASCII))),
                new BcKeyFingerprintCalculator());
        PGPEncryptedDataList list = (PGPEncryptedDataList) f.nextObject();
        List<Long> ids = new ArrayList<>();
        for (Iterator<?> it = list.getEncryptedDataObjects(); it.hasNext(); ) {
            ids.add(((PGPPublicKeyEncryptedData) it.next()).getKeyIdentifier().getKeyId());
        }
        return ids;
    }

    String decrypt(MailsealConfig cfg, String email, String message) throws Exception {
        return org.mailseal.testkit.StoreKeys.decrypt(cfg, email, message);
    }

    @Test
    void namedRecipientsShareACopyAndBccGetsItsOwn() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port());
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(send(port, List.of("alice@example.com", "bob2@example.com", "carol@example.com"), MSG)).startsWith("250");
            }
            assertThat(sink.messages).hasSize(2);
            CapturingSink.Received shared = sink.messages.stream().filter(m -> m.rcptTo().size() == 2).findFirst().orElseThrow();
            CapturingSink.Received bcc = sink.messages.stream().filter(m -> m.rcptTo().size() == 1).findFirst().orElseThrow();
            assertThat(bcc.rcptTo()).containsExactly("RCPT TO:<carol@example.com>");
            assertThat(recipientKeyIds(shared.text())).hasSize(2);
            assertThat(recipientKeyIds(bcc.text())).as("the Bcc copy names only carol's key").hasSize(1);
            assertThat(recipientKeyIds(shared.text())).doesNotContainAnyElementsOf(recipientKeyIds(bcc.text()));

            String outer = shared.text().substring(0, shared.text().indexOf("\r\n\r\n"));
            assertThat(outer).contains("Subject: [...]", "From: Bob <bob@internet.test>", "To: alice@example.com", "Cc: bob2@example.com",
                    "Message-ID: <flow-1@internet.test>", "Received: from flow.test", "multipart/encrypted")
                    .doesNotContain("Secret plans").doesNotContain("Keywords");
            assertThat(shared.text()).doesNotContain("The plans are secret");

            MailsealConfig cfg = ConfigLoader.parse("t", y);
            String inner = decrypt(cfg, "alice@example.com", shared.text());
            assertThat(inner).contains("Subject: Secret plans", "Keywords: merger", "HP-Outer: Subject: [...]",
                    "X-Mailseal-Info: <alice@example.com> encrypted to OpenPGP key", "X-Mailseal-Info: <bob2@example.com>",
                    "protected-headers=\"v1\"", "\r\n\r\nThe plans are secret.\r\n");
            assertThat(decrypt(cfg, "bob2@example.com", shared.text())).isEqualTo(inner);
            assertThat(decrypt(cfg, "carol@example.com", bcc.text())).contains("X-Mailseal-Info: <carol@example.com>").doesNotContain("<alice@example.com> encrypted");
        }
    }

    @Test
    void alreadyEncryptedMailPassesUntouched() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(yaml(port, sink.port()))) {
            for (Corpus.Message m : Corpus.load("passthrough")) {
                int before = sink.messages.size();
                assertThat(Corpus.send(port, m, "alice@example.com")).as(m.name()).startsWith("250");
                String got = sink.messages.get(before).text();
                String afterReceived = org.mailseal.testkit.OurFields.strip(got);
                assertThat(afterReceived).as(m.name() + " byte-identical").isEqualTo(new String(m.bytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void policyDecidesPerRecipient() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(),
                    "domains: {local: [example.com, plain.example, opp.example, strict.example, hard.example, open.example],"
                            + " policies: {plain.example: {encrypt: never}, opp.example: {encrypt: opportunistic},"
                            + " strict.example: {onMissingKey: tempfail}, hard.example: {onMissingKey: reject},"
                            + " open.example: {onMissingKey: deliver, subjectPlaceholder: '...'}}}");
            try (Database db = Database.open(ConfigLoader.parse("t", y))) {
                new PolicyStore(db.dataSource()).set("optout@example.com", "encrypt", "never");
            }
            try (Gateway gw = TestGateway.start(y)) {
                String body = "Subject: policy\r\n\r\nsecret body\r\n";
                assertThat(send(port, List.of("u@plain.example"), body)).startsWith("250");
                assertThat(send(port, List.of("u@opp.example"), body)).startsWith("250");
                assertThat(send(port, List.of("optout@example.com"), body)).startsWith("250");
                assertThat(sink.messages).hasSize(3).allSatisfy(m -> assertThat(m.text()).contains("secret body"));
                assertThat(send(port, List.of("u@strict.example"), body)).startsWith("450 4.7.1");
                assertThat(send(port, List.of("u@hard.example"), body)).startsWith("550 5.7.1");
                assertThat(sink.messages).hasSize(3);
                assertThat(send(port, List.of("u@open.example"), body)).startsWith("250");
                assertThat(sink.messages.get(3).text()).contains("secret body");
                // default for a local domain: mandatory + generate
                assertThat(send(port, List.of("new@example.com"), body)).startsWith("250");
                assertThat(sink.messages.get(4).text()).contains("multipart/encrypted", "Subject: [...]").doesNotContain("secret body");
            }
        }
    }

    /**
     * Keys and policies are looked up once a second at most (RecentLookups): a key imported and a policy
     * set from the CLI while the gateway serves take effect within that second, never later.
     */
    @Test
    void keysImportedAndPoliciesSetWhileServingTakeEffectWithinASecond() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: tempfail}");
            Path cfgFile = dir.resolve("live.yml");
            Files.writeString(cfgFile, y);
            PGPSecretKeyRing dana = PgpKeys.generate("dana@example.com", null, PgpKeys.Algo.CV25519);
            Path pub = dir.resolve("dana.asc");
            Files.write(pub, PgpKeys.armor(PgpKeys.publicRing(dana).getEncoded()));
            String body = "Subject: live\r\n\r\nsecret live body\r\n";
            try (Gateway gw = TestGateway.start(y)) {
                assertThat(send(port, List.of("dana@example.com"), body)).startsWith("450 4.7.1"); // no key yet, remembered
                assertThat(org.mailseal.testkit.Cli.run("keys", "import", pub.toString(), "-c", cfgFile.toString()).code()).isZero();
                long imported = System.nanoTime();
                String reply;
                do {
                    reply = send(port, List.of("dana@example.com"), body);
                } while (!reply.startsWith("250") && System.nanoTime() - imported < 3_000_000_000L);
                assertThat(reply).startsWith("250");
                assertThat((System.nanoTime() - imported) / 1_000_000).as("ms until the imported key was used")
                        .isLessThan(org.mailseal.keys.RecentLookups.TTL_NANOS / 1_000_000 + 500);
                String got = sink.messages.get(sink.messages.size() - 1).text();
                assertThat(got).contains("multipart/encrypted").doesNotContain("secret live body");
                ByteArrayOutputStream plain = new ByteArrayOutputStream();
                PgpDecryptor.decrypt(new ByteArrayInputStream(org.mailseal.testkit.ByteExact.armoredPart(got)), dana, plain);
                assertThat(plain.toString(StandardCharsets.UTF_8)).contains("secret live body");

                // A user's policy set now: plain delivery within the second, not before the command ran.
                assertThat(org.mailseal.testkit.Cli.run("policy", "set", "--email", "dana@example.com", "encrypt=never", "-c", cfgFile.toString())
                        .code()).isZero();
                long set = System.nanoTime();
                String last;
                do {
                    int before = sink.messages.size();
                    assertThat(send(port, List.of("dana@example.com"), body)).startsWith("250");
                    last = sink.messages.get(before).text();
                } while (last.contains("multipart/encrypted") && System.nanoTime() - set < 3_000_000_000L);
                assertThat(last).contains("secret live body");
                assertThat((System.nanoTime() - set) / 1_000_000).isLessThan(org.mailseal.keys.RecentLookups.TTL_NANOS / 1_000_000 + 500);
            }
        }
    }

    @Test
    void noMasterPassphraseMeansNoGeneratedKeyAndNoPlaintext() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(yaml(port, sink.port(), "keys: {argon2MemoryKiB: 1024, argon2Iterations: 1}"))) {
            assertThat(send(port, List.of("alice@example.com"), MSG)).startsWith("451 4.7.5");
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void brokenKeyInTheStoreFailsClosed() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink()) {
            String y = yaml(port, sink.port(), "policy: {encrypt: mandatory, onMissingKey: deliver}");
            MailsealConfig cfg = ConfigLoader.parse("t", y);
            try (Database db = Database.open(cfg)) {
                new PgpKeyStore(db.dataSource()).putCert(PgpKeys.publicRing(PgpKeys.generate("alice@example.com", null, PgpKeys.Algo.CV25519)), false);
                try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE pgp_certs SET cert = ?")) {
                    ps.setBytes(1, new byte[] {(byte) 0x99, 0x01, 0x0d, 0x04, 0x00});
                    ps.executeUpdate();
                }
            }
            try (Gateway gw = TestGateway.start(y)) {
                // Even with onMissingKey=deliver: a key that exists but cannot be read is an error, not "no key".
                assertThat(send(port, List.of("alice@example.com"), MSG)).startsWith("451");
            }
            assertThat(sink.messages).isEmpty();
        }
    }

    @Test
    void failureInsideTheEncryptionStageFailsClosed() throws Exception {
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink(); Gateway gw = TestGateway.start(yaml(port, sink.port()))) {
            // Fault injection: the stage's scratch directory becomes a file, so writing the ciphertext fails.
            Path work = dir.resolve("data/spool/work");
            Files.delete(work);
            Files.writeString(work, "not a directory");
            assertThat(send(port, List.of("alice@example.com"), MSG)).startsWith("451");
            assertThat(sink.messages).isEmpty();
            Files.delete(work);
            Files.createDirectory(work);
            assertThat(send(port, List.of("alice@example.com"), MSG)).startsWith("250");
            assertThat(sink.messages).hasSize(1);
            assertThat(sink.messages.get(0).text()).doesNotContain("The plans are secret");
        }
    }
}
