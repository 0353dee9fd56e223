package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.TestGateway;

/** A 1 GiB message is encrypted and relayed by a gateway JVM limited to 64 MiB of heap. */
class StreamingTest {

    @TempDir
    Path dir;

    static final long SIZE = 1L << 30;

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"openpgp", "smime"})
    void oneGibibyteThroughA64MiBHeap(String method) throws Exception {
        int port = TestGateway.freePort();
        Path cfg = dir.resolve("m.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, 1,
                "limits: {maxMessageSize: 2GiB, dataTimeout: 10m}",
                "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any, method: " + method + ", generateMethod: " + method + "}",
                TestGateway.masterKeys(dir, "streaming master")));
        Path spill = Files.createDirectories(dir.resolve("sink"));
        if (method.equals("smime")) {
            assertThat(org.mailseal.cli.Main.run("ca", "init", "-c", cfg.toString())).isZero();
        }
        MessageDigest bodyDigest = MessageDigest.getInstance("SHA-256");
        try (CapturingSink sink = new CapturingSink()) {
            sink.spillDir = spill;
            sink.extensions(java.util.List.of("PIPELINING", "SIZE 4000000000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES"));
            Files.writeString(cfg, Files.readString(cfg).replace("[127.0.0.1]:1\"", "[127.0.0.1]:" + sink.port() + "\"")
                    .replace("dataDoneTimeout: 10s", "dataDoneTimeout: 10m"));
            try (GatewayProcess gw = GatewayProcess.start(cfg, dir.resolve("gw.log"), port, "64m");
                 Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(600_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
                expect(in, "220");
                for (String c : new String[] {"EHLO big.test", "MAIL FROM:<big@internet.test> SIZE=" + (SIZE + 1000), "RCPT TO:<big@example.com>", "DATA"}) {
                    out.write((c + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    expect(in, c.startsWith("DATA") ? "354" : "250");
                }
                out.write("From: big@internet.test\r\nTo: big@example.com\r\nSubject: one gibibyte\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] line = new byte[78];
                java.util.Random r = new java.util.Random(7);
                String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                for (long sent = 0; sent < SIZE; sent += line.length) {
                    for (int i = 0; i < 76; i++) {
                        line[i] = (byte) alphabet.charAt(r.nextInt(64));
                    }
                    line[76] = '\r';
                    line[77] = '\n';
                    out.write(line);
                    bodyDigest.update(line);
                }
                out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String reply = expect(in, "250");
                assertThat(reply).contains("queued as");
                assertThat(gw.isAlive()).isTrue();
                assertThat(Files.readString(dir.resolve("gw.log"))).doesNotContain("OutOfMemoryError");
            }
            assertThat(sink.messages).hasSize(1);
            Path stored = Path.of(sink.messages.get(0).text());
            assertThat(Files.size(stored)).isGreaterThan(SIZE);

            // Decrypt the stored copy, streaming, and compare the body digest.
            MailsealConfig c = ConfigLoader.load(cfg);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            try (Database db = Database.open(c); InputStream f = new BufferedInputStream(Files.newInputStream(stored), 1 << 16)) {
                var mk = MasterPassphrase.unlock(c, db.dataSource());
                if (method.equals("openpgp")) {
                    PgpKeyStore ks = new PgpKeyStore(db.dataSource());
                    PGPSecretKeyRing secret = ks.secret(ks.list("big@example.com").get(0).fingerprint(), mk).orElseThrow();
                    skipTo(f, "-----BEGIN PGP MESSAGE-----");
                    InputStream armored = new java.io.SequenceInputStream(
                            new java.io.ByteArrayInputStream("-----BEGIN PGP MESSAGE-----".getBytes(StandardCharsets.US_ASCII)), f);
                    PgpDecryptor.decrypt(armored, secret, new BodyDigest(got));
                } else {
                    var ss = new org.mailseal.keys.SmimeStore(db.dataSource());
                    var entry = ss.list("big@example.com").get(0);
                    skipTo(f, "Content-Description: S/MIME Encrypted Message\r\n\r\n");
                    org.mailseal.crypto.smime.SmimeDecryptor.decrypt(java.util.Base64.getMimeDecoder().wrap(f), false,
                            ss.cert(entry.fingerprint()).orElseThrow(), ss.privateKey(entry.fingerprint(), mk).orElseThrow(), new BodyDigest(got));
                }
            }
            assertThat(HexFormat.of().formatHex(got.digest())).isEqualTo(HexFormat.of().formatHex(bodyDigest.digest()));
        }
    }

    private static String expect(InputStream in, String code) throws Exception {
        StringBuilder sb = new StringBuilder();
        String line;
        do {
            StringBuilder l = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                l.append((char) b);
            }
            line = l.toString().strip();
            sb.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
        assertThat(line).startsWith(code);
        return sb.toString();
    }

    private static void skipTo(InputStream in, String marker) throws Exception {
        byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            matched = b == m[matched] ? matched + 1 : (b == m[0] ? 1 : 0);
            if (matched == m.length) {
                return;
            }
        }
        throw new AssertionError("marker not found");
    }

    /** Digests what follows the inner header's empty line. */
    static final class BodyDigest extends OutputStream {
        private final MessageDigest d;
        private int state;

        BodyDigest(MessageDigest d) {
            this.d = d;
        }

        @Override
        public void write(int b) {
            if (state == 4) {
                d.update((byte) b);
                return;
            }
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : 0;
                default -> state;
            };
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (state == 4) {
                d.update(b, off, len);
                return;
            }
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }
}
