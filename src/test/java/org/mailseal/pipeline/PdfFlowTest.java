package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * Outbound mail to recipients without keys, through the whole gateway: the PDF fallback, domains forced
 * to PDF (keys or not), mandatory domains, and what the carrier mail shows. The PDF is opened with
 * poppler's pdftotext, with the password set through the CLI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"pdftotext=poppler-utils", "pdfdetach=poppler-utils"})
class PdfFlowTest {

    static final String CANARY = "pdf flow canary: the quarterly figures are 42";
    Path dir;
    Path cfg;
    CapturingSink sink;
    Gateway gw;
    int port;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("pdftotext", "poppler-utils");
        dir = Files.createTempDirectory("pdf-flow");
        sink = new CapturingSink();
        port = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                TestGateway.masterKeys(dir, "pdf flow master"),
                "outbound: {recipientDomains: {strict.test: mandatory}}",
                "pdf: {forceDomains: [forced.test, vip@partner.test], attachOriginal: true}"));
        String c = cfg.toString();
        for (String email : List.of("carol@partner.test", "erin@strict.test", "frank@forced.test", "vip@partner.test", "nopdf@partner.test",
                "pol@partner.test")) {
            Cli.Run r = Cli.runWithInput(password(email) + "\n", "pdf", "password", "--email", email, "--password-file", "-", "-c", c);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("set the PDF password of " + email);
        }
        // frank@forced.test also has an OpenPGP key: the forced domain gets the PDF all the same.
        assertThat(Cli.run("keys", "generate", "--email", "frank@forced.test", "-c", c).code()).isZero();
        assertThat(Cli.run("keys", "generate", "--email", "vip@partner.test", "-c", c).code()).isZero();
        // The per-recipient policy setting: pdf=never (no PDF, though a password is set), pdf=force (despite a key).
        assertThat(Cli.run("policy", "set", "--email", "nopdf@partner.test", "pdf=never", "-c", c).code()).isZero();
        assertThat(Cli.run("keys", "generate", "--email", "pol@partner.test", "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "pol@partner.test", "pdf=force", "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "pol@partner.test", "pdf=sometimes", "-c", c).err()).contains("pdf must be fallback, never, force");
        gw = TestGateway.start(Files.readString(cfg));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    static String password(String email) {
        return "Pdf-" + email + "-secret-9";
    }

    @Test
    void aRecipientWithAPasswordAndNoKeyGetsTheCarrierAndThePdfOpensWithThePassword() throws Exception {
        String carrier = sendOk("carol@partner.test");
        assertThat(carrier).doesNotContain(CANARY).doesNotContain(password("carol@partner.test"))
                .contains("Subject: quarterly report").contains("multipart/mixed").contains("message.pdf");
        byte[] pdf = pdfOf(carrier);
        Path f = dir.resolve("carol.pdf");
        Files.write(f, pdf);
        Cmd.Result text = Cmd.run("pdftotext", "-upw", password("carol@partner.test"), f.toString(), "-");
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.outText()).contains(CANARY).contains("Subject: quarterly report").contains("From: alice@example.com");
        assertThat(Cmd.run("pdftotext", "-upw", password("erin@strict.test"), f.toString(), "-").code()).as("another recipient's password").isNotZero();
        assertThat(Cmd.run("pdfdetach", "-upw", password("carol@partner.test"), "-list", f.toString()).outText()).contains("message.eml");
    }

    @Test
    void withoutAPasswordOpportunisticMailIsPlainAndMandatoryMailIsRejected() throws Exception {
        assertThat(sendOk("nobody@partner.test")).contains(CANARY).doesNotContain("message.pdf");
        int before = sink.messages.size();
        String reply = send("zed@strict.test");
        assertThat(reply).startsWith("550").contains("5.7.1");
        assertThat(sink.messages.size()).as("nothing relayed").isEqualTo(before);
        assertThat(pdfOf(sendOk("erin@strict.test"))).as("mandatory, but a PDF password: the PDF").isNotEmpty();
    }

    @Test
    void aForcedDomainGetsThePdfEvenWithAKeyAndIsRejectedWithoutAPassword() throws Exception {
        byte[] pdf = pdfOf(sendOk("frank@forced.test"));
        Path f = dir.resolve("frank.pdf");
        Files.write(f, pdf);
        assertThat(Cmd.run("pdftotext", "-upw", password("frank@forced.test"), f.toString(), "-").outText()).contains(CANARY);
        int before = sink.messages.size();
        String reply = send("dora@forced.test");
        assertThat(reply).startsWith("550").contains("PDF");
        assertThat(sink.messages.size()).isEqualTo(before);
        // One address forced, not its domain: vip@ gets the PDF despite its key; others at partner.test do not.
        Files.write(f, pdfOf(sendOk("vip@partner.test")));
        assertThat(Cmd.run("pdftotext", "-upw", password("vip@partner.test"), f.toString(), "-").outText()).contains(CANARY);
    }

    @Test
    void theSubjectTriggerIsRemovedAndMakesKeylessRecipientsPdfOrRefused() throws Exception {
        int before = sink.messages.size();
        String reply = send("nobody@partner.test", "[SECURE] quarterly report");
        assertThat(reply).as("no key, no PDF password, encryption asked for: refused, not plain").startsWith("550");
        assertThat(sink.messages.size()).isEqualTo(before);
        String carrier = sendOk("carol@partner.test", "quarterly [secure] report");
        assertThat(carrier).contains("Subject: quarterly report\r\n").doesNotContainIgnoringCase("[secure]").doesNotContain(CANARY);
        Path f = dir.resolve("carol-trigger.pdf");
        Files.write(f, pdfOf(carrier));
        assertThat(Cmd.run("pdftotext", "-upw", password("carol@partner.test"), f.toString(), "-").outText())
                .contains("Subject: quarterly report").contains(CANARY).doesNotContainIgnoringCase("[secure]");
    }

    /**
     * pdf.generatePasswords: a keyless recipient without a password gets a PDF with a new password, and the
     * sender gets that password in a notification of its own, after the PDF was relayed. A sender with a
     * key gets the notification encrypted (inbound policy), like any mail to it.
     */
    @Test
    void aGeneratedPasswordGoesToTheSenderInItsOwnNotificationAndOpensThePdf() throws Exception {
        Path d2 = Files.createDirectories(dir.resolve("generated"));
        try (CapturingSink sink2 = new CapturingSink()) {
            int port2 = TestGateway.freePort();
            Path cfg2 = ownGateway(d2, port2, sink2, "pdf: {generatePasswords: true}");
            try (Gateway g2 = TestGateway.start(Files.readString(cfg2))) {
                String reply = sendTo(port2, "pat@partner.test", "board minutes");
                assertThat(reply).startsWith("250");
                assertThat(sink2.messages).hasSize(2);
                CapturingSink.Received pdfMail = sink2.messages.get(0);
                CapturingSink.Received notice = sink2.messages.get(1);
                assertThat(pdfMail.rcptTo()).containsExactly("RCPT TO:<pat@partner.test>");
                assertThat(notice.rcptTo()).containsExactly("RCPT TO:<alice@example.com>");
                assertThat(notice.mailFrom()).startsWith("MAIL FROM:<>");
                java.util.regex.Matcher pw = java.util.regex.Pattern.compile("\r\n    ([A-Za-z2-9]{20})\r\n").matcher(notice.text());
                assertThat(pw.find()).as(notice.text()).isTrue();
                assertThat(notice.text()).contains("Subject: PDF password for your message to pat@partner.test")
                        .contains("\"board minutes\"").doesNotContain(CANARY);
                assertThat(pdfMail.text()).doesNotContain(pw.group(1)).doesNotContain(CANARY);
                Path f = d2.resolve("pat.pdf");
                Files.write(f, pdfOf(pdfMail.text()));
                assertThat(Cmd.run("pdftotext", "-upw", pw.group(1), f.toString(), "-").outText()).contains(CANARY);

                // The sender has a key and its policy says encrypt: the notification is encrypted to it.
                assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", cfg2.toString()).code()).isZero();
                assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=mandatory", "-c", cfg2.toString()).code()).isZero();
                Thread.sleep(1200); // the gateway remembers policy answers for a second
                assertThat(sendTo(port2, "pat@partner.test", "board minutes")).startsWith("250");
                assertThat(sink2.messages).hasSize(4);
                assertThat(sink2.messages.get(3).text()).contains("multipart/encrypted").doesNotContain("opens with this password");
            }
        }
    }

    /**
     * pdf.derivePasswords: a keyless recipient without a password gets a PDF whose password is derived from
     * its secret and the PDF's reference; the carrier names the reference, `mailseal pdf derive` tells the
     * password, and each PDF has its own.
     */
    @Test
    void aDerivedPasswordIsToldByTheCliFromTheReferenceAndEachPdfHasItsOwn() throws Exception {
        Path d3 = Files.createDirectories(dir.resolve("derived"));
        try (CapturingSink sink3 = new CapturingSink()) {
            int port3 = TestGateway.freePort();
            Path cfg3 = ownGateway(d3, port3, sink3, "pdf: {derivePasswords: true, generatePasswords: true}");
            List<String> passwords = new java.util.ArrayList<>();
            try (Gateway g3 = TestGateway.start(Files.readString(cfg3))) {
                for (int i = 0; i < 2; i++) {
                    assertThat(sendTo(port3, "quinn@partner.test", "contract")).startsWith("250");
                }
                assertThat(sink3.messages).as("derived before generated: no notification to the sender").hasSize(2);
                for (int i = 0; i < 2; i++) {
                    String carrier = sink3.messages.get(i).text();
                    java.util.regex.Matcher ref = java.util.regex.Pattern.compile("password of PDF ([A-Z2-9W-Z]{4}-[A-Z2-9W-Z]{4}-[A-Z2-9W-Z]{4})")
                            .matcher(carrier);
                    assertThat(ref.find()).as(carrier).isTrue();
                    Cli.Run told = Cli.run("pdf", "derive", "--email", "quinn@partner.test", "--ref", ref.group(1), "-c", cfg3.toString());
                    assertThat(told.code()).as(told.err()).isZero();
                    String pw = told.out().strip();
                    assertThat(pw).hasSize(20);
                    assertThat(carrier).doesNotContain(pw).doesNotContain(CANARY);
                    Path f = d3.resolve("quinn-" + i + ".pdf");
                    Files.write(f, pdfOf(carrier));
                    assertThat(Cmd.run("pdftotext", "-upw", pw, f.toString(), "-").outText()).contains(CANARY);
                    passwords.add(pw);
                }
                assertThat(passwords.get(0)).as("each PDF its own password").isNotEqualTo(passwords.get(1));
                assertThat(Cli.run("pdf", "derive", "--email", "nobody@partner.test", "--ref", "ABCD-EFGH-JKLM", "-c", cfg3.toString()).code())
                        .isNotZero();
            }
        }
    }

    @Test
    void thePdfPolicySettingTurnsThePdfOffOrForcesItPerRecipient() throws Exception {
        assertThat(sendOk("nopdf@partner.test")).as("pdf=never: opportunistic, so plain").contains(CANARY).doesNotContain("message.pdf");
        byte[] pdf = pdfOf(sendOk("pol@partner.test"));
        Path f = dir.resolve("pol.pdf");
        Files.write(f, pdf);
        assertThat(Cmd.run("pdftotext", "-upw", password("pol@partner.test"), f.toString(), "-").outText()).as("pdf=force despite a key")
                .contains(CANARY);
        assertThat(send("nopdf@partner.test", "[secure] figures")).as("pdf=never and encryption asked for: refused").startsWith("550");
    }

    @Test
    void aShortPasswordIsRefusedByTheCli() {
        Cli.Run r = Cli.runWithInput("short\n", "pdf", "password", "--email", "x@partner.test", "--password-file", "-", "-c", cfg.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("at least 12 characters");
    }

    /** The config of a gateway of a test's own (trusting loopback senders, with a master key), written to {@code d}. */
    private static Path ownGateway(Path d, int port, CapturingSink next, String pdf) throws Exception {
        Path cfg = d.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(d.resolve("data"), port, 0, next.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}", TestGateway.masterKeys(d, "pdf test master"), pdf));
        return cfg;
    }

    private String sendOk(String rcpt) throws Exception {
        return sendOk(rcpt, "quarterly report");
    }

    private String sendOk(String rcpt, String subject) throws Exception {
        int before = sink.messages.size();
        String reply = send(rcpt, subject);
        assertThat(reply).startsWith("250");
        assertThat(sink.messages.size()).isEqualTo(before + 1);
        return sink.messages.get(before).text();
    }

    private String send(String rcpt) throws Exception {
        return send(rcpt, "quarterly report");
    }

    private String send(String rcpt, String subject) throws Exception {
        return sendTo(port, rcpt, subject);
    }

    private static String sendTo(int port, String rcpt, String subject) throws Exception {
        String msg = "From: alice@example.com\r\nTo: <" + rcpt + ">\r\nSubject: " + subject + "\r\nMessage-ID: <q" + System.nanoTime()
                + "@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + CANARY + "\r\n";
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            return c.sendMail("alice@example.com", List.of(rcpt), msg);
        }
    }

    /** The carrier's PDF part, decoded (parsed by Angus Mail). */
    private static byte[] pdfOf(String carrier) throws Exception {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(carrier.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Multipart mp = (Multipart) m.getContent();
        assertThat(mp.getCount()).isEqualTo(2);
        assertThat(mp.getBodyPart(0).isMimeType("text/plain")).isTrue();
        Part pdf = mp.getBodyPart(1);
        assertThat(pdf.isMimeType("application/pdf")).isTrue();
        assertThat(pdf.getFileName()).isEqualTo("message.pdf");
        try (var in = pdf.getInputStream()) {
            byte[] b = in.readAllBytes();
            assertThat(new String(b, 0, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("%PDF-");
            return b;
        }
    }
}
