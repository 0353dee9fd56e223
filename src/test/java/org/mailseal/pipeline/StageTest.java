package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.config.Scan;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.policy.Decider;
import org.mailseal.policy.Encryption;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.scan.Scanner;
import org.mailseal.scan.Verdict;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.Spool;

/**
 * Stages on their own: each applied to a spooled MailItem in a temp dir, with no gateway, network or
 * database (a fake scanner and a fake decider where the real one is not the point).
 */
class StageTest {

    @TempDir
    Path dir;

    Spool spool() throws Exception {
        return new Spool(dir.resolve("data"), false);
    }

    MailItem item(String content, String... rcpts) throws Exception {
        Path p = Files.createTempFile(dir, "m", ".eml");
        Files.writeString(p, content, StandardCharsets.ISO_8859_1);
        return PipelineTest.item(rcpts.length > 0 ? rcpts : new String[] {"alice@example.com"}).withContent(p);
    }

    static String text(MailItem m) throws Exception {
        return Files.readString(m.content(), StandardCharsets.ISO_8859_1);
    }

    static Routing.Group only(Routing r) {
        assertThat(r.groups()).hasSize(1);
        return r.groups().get(0);
    }

    // ---- hop check ----

    @Test
    void hopCountRefusesALoopAndPassesTheRest() throws Exception {
        String hops = "Received: from a by b; Wed, 2 Dec 2026 20:00:00 +0000\r\n".repeat(3);
        assertThat(only(new HopCountStage(2).apply(item(hops + "Subject: x\r\n\r\nbody\r\n"))).outcome().reply().code()).isEqualTo(554);
        assertThat(only(new HopCountStage(3).apply(item(hops + "Subject: x\r\n\r\nbody\r\n"))).outcome().isFinal()).isFalse();
    }

    // ---- sender (authenticated users write only their own From) ----

    MailItem authenticated(String user, String content) throws Exception {
        MailItem m = item(content);
        org.mailseal.mail.SessionInfo s = m.session();
        org.mailseal.mail.SessionInfo auth = new org.mailseal.mail.SessionInfo(s.clientAddress(), s.clientName(), s.helo(), true, false, null,
                user, s.xforward());
        return new MailItem(m.queueId(), auth, m.from(), m.recipients(), m.content(), m.received());
    }

    @Test
    void senderChecksFromAgainstTheAuthenticatedUser() throws Exception {
        GatewayHandler.Ownership owns = (user, address) -> address.equalsIgnoreCase(user) || address.equals("alias@example.com");
        SenderStage stage = new SenderStage(owns);
        assertThat(only(stage.apply(authenticated("alice@example.com", "From: Alice <alice@example.com>\r\n\r\nx"))).outcome().isFinal())
                .isFalse();
        assertThat(only(stage.apply(authenticated("alice@example.com", "From: alias@example.com\r\n\r\nx"))).outcome().isFinal()).isFalse();
        Routing.Group forged = only(stage.apply(authenticated("alice@example.com", "From: Boss <boss@example.com>\r\n\r\nx")));
        assertThat(forged.outcome().reply().toString()).contains("553", "5.7.1", "boss@example.com");
        Routing.Group two = only(stage.apply(authenticated("alice@example.com", "From: alice@example.com\r\nFrom: alice@example.com\r\n\r\nx")));
        assertThat(two.outcome().reply().toString()).contains("more than one From");
        // Without SMTP AUTH the stage does not judge (a trusted network's relay, inbound mail).
        assertThat(only(stage.apply(item("From: anyone@elsewhere.test\r\n\r\nx"))).outcome().isFinal()).isFalse();
    }

    // ---- sanitize ----

    @Test
    void sanitizeDropsOurFieldsAndForgedResultsAndKeepsTheRestByteForByte() throws Exception {
        String msg = "Received: from x by y; Wed, 2 Dec 2026 20:00:00 +0000\r\n"
                + "X-Mailseal-Info: forged\r\n"
                + "Authentication-Results: gw.test; dkim=pass (forged)\r\n"
                + "Authentication-Results: other.test; spf=pass\r\n"
                + "X-Mailseal-Released: Q123\r\n"
                + "Subject:  odd  spacing\r\n\tfolded\r\n\r\nbody\r\n";
        Routing.Group g = only(new SanitizeStage(spool(), "gw.test", false).apply(item(msg)));
        assertThat(g.outcome().isFinal()).isFalse();
        assertThat(text(g.item())).isEqualTo("Received: from x by y; Wed, 2 Dec 2026 20:00:00 +0000\r\n"
                + "Authentication-Results: other.test; spf=pass\r\n"
                + "Subject:  odd  spacing\r\n\tfolded\r\n\r\nbody\r\n");
        assertThat(g.item().releaseClaim()).as("kept as a claim, checked by the scan stage").isEqualTo("Q123");
    }

    @Test
    void sanitizeLeavesACleanMessageUntouched() throws Exception {
        MailItem m = item("Subject: clean\r\n\r\nbody\r\n");
        assertThat(only(new SanitizeStage(spool(), "gw.test", true).apply(m)).item().content()).isEqualTo(m.content());
    }

    // ---- scan ----

    static Scanner fake(Verdict.Kind kind) {
        return new Scanner() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public Verdict scan(Request request, Path message) {
                return new Verdict("fake", kind, kind == Verdict.Kind.VIRUS ? "Test.Virus" : kind == Verdict.Kind.FAILED ? "down" : null,
                        kind == Verdict.Kind.SPAM ? 20.0 : 0.0, 5.0, List.of(), null, java.time.Duration.ofMillis(1));
            }
        };
    }

    ScanStage scan(Verdict.Kind kind) throws Exception {
        Scan cfg = new Scan(null, null, null, null, null, null);
        return new ScanStage(cfg, List.of(fake(kind)), null, spool(), new GatewayMetrics());
    }

    @Test
    void scanRejectsAVirusDefersWhenNotScannedAndPassesClean() throws Exception {
        String msg = "Subject: s\r\n\r\nbody\r\n";
        Routing.Group virus = only(scan(Verdict.Kind.VIRUS).apply(item(msg)));
        assertThat(virus.outcome().kind()).isEqualTo(Outcome.Kind.REJECT);
        assertThat(virus.outcome().reply().toString()).contains("554", "Test.Virus");
        Routing.Group down = only(scan(Verdict.Kind.FAILED).apply(item(msg)));
        assertThat(down.outcome().kind()).as("never clean when not scanned").isEqualTo(Outcome.Kind.DEFER);
        MailItem clean = item(msg);
        Routing.Group ok = only(scan(Verdict.Kind.CLEAN).apply(clean));
        assertThat(ok.outcome().isFinal()).isFalse();
        assertThat(text(ok.item())).isEqualTo(msg);
    }

    // ---- policy ----

    @Test
    void policySplitsByDecisionAndTheMilterKeepsOneCopy() throws Exception {
        Decider decider = (q, a) -> switch (a.localPart()) {
            case "refused" -> new RecipientDecider.Refuse(SmtpReply.of(550, "5.7.1", "no key"));
            default -> new RecipientDecider.Plain("test");
        };
        MailItem m = item("To: a@example.com\r\nSubject: p\r\n\r\nbody\r\n", "a@example.com", "bcc@example.com", "refused@example.com");
        Routing r = new PolicyStage(decider, PolicyStage.Copies.PER_BCC).apply(m);
        List<Outcome.Kind> kinds = new ArrayList<>();
        r.groups().forEach(g -> kinds.add(g.outcome().kind()));
        assertThat(kinds).containsExactlyInAnyOrder(Outcome.Kind.REJECT, Outcome.Kind.CONTINUE);
        Routing.Group plain = r.groups().stream().filter(g -> !g.outcome().isFinal()).findFirst().orElseThrow();
        assertThat(plain.item().recipients()).hasSize(2);
        assertThat(plain.item().treatment()).isInstanceOf(Treatment.Pass.class);
        Routing one = new PolicyStage(decider, PolicyStage.Copies.ONE).apply(m);
        assertThat(one.groups()).hasSize(2);
    }

    @Test
    void policyPassesProvenCiphertextUntouched() throws Exception {
        Decider never = (q, a) -> {
            throw new AssertionError("already encrypted mail needs no decision");
        };
        Path gpgLike = Path.of("src/test/resources/corpus/passthrough");
        Path sample;
        try (var s = Files.list(gpgLike)) {
            sample = s.filter(p -> p.getFileName().toString().endsWith(".eml")).sorted().findFirst().orElseThrow();
        }
        MailItem m = item(Files.readString(sample, StandardCharsets.ISO_8859_1));
        Routing.Group g = only(new PolicyStage(never, PolicyStage.Copies.PER_BCC).apply(m));
        assertThat(g.item().treatment()).isInstanceOf(Treatment.AlreadyEncrypted.class);
    }

    // ---- encrypt ----

    /**
     * The encrypt stage with a key made in memory: the result is PGP/MIME whose outside keeps the trace
     * fields (the gateway's own Received among them) and a placeholder Subject, and whose inside is the
     * message as received, byte for byte, plus the protection markers.
     */
    @Test
    void encryptKeepsOurTraceOutsideAndTheMessageInsideByteForByte() throws Exception {
        org.bouncycastle.openpgp.PGPSecretKeyRing secret = org.mailseal.crypto.pgp.PgpKeys.generate("alice@example.com", null,
                org.mailseal.crypto.pgp.PgpKeys.Algo.CV25519);
        org.bouncycastle.openpgp.PGPPublicKeyRing pub = org.mailseal.crypto.pgp.PgpKeys.publicRing(secret);
        org.mailseal.crypto.pgp.PgpKeys.ValidCert cert = org.mailseal.crypto.pgp.PgpKeys.validate(pub, "alice@example.com", java.time.Instant.now());
        String original = "From: bob@remote.test\r\nTo: alice@example.com\r\nSubject: secret subject\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n\r\nsecret body\r\n";
        MailItem m = item("Received: from c (unknown [127.0.0.1])\r\n\tby gw.test (mailseal) with ESMTP id Q1; Wed, 2 Dec 2026 20:00:00 +0000\r\n"
                + original);
        MailItem toEncrypt = m.withTreatment(new Encryption.Pgp(List.of(new Encryption.Keyed(m.recipients().get(0), cert, "test")),
                org.mailseal.mime.OuterHeader.minimal("[...]")));
        Routing.Group g = only(new EncryptStage(spool(), null).apply(toEncrypt));
        String out = text(g.item());
        assertThat(out).startsWith("Received: from c (unknown [127.0.0.1])").contains("Subject: [...]", "multipart/encrypted")
                .doesNotContain("secret body").doesNotContain("secret subject");
        java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
        org.mailseal.crypto.pgp.PgpDecryptor.decrypt(new java.io.ByteArrayInputStream(org.mailseal.testkit.ByteExact.armoredPart(out)), secret, plain);
        org.mailseal.testkit.ByteExact.check("encrypt stage", original.getBytes(StandardCharsets.ISO_8859_1), plain.toByteArray());
    }

    // ---- the milter lane's exit ----

    @Test
    void inPlaceHandsBackTheFinalForm() throws Exception {
        MailItem m = item("Subject: done\r\n\r\nbody\r\n");
        Routing.Group g = only(new InPlaceStage(x -> {
            throw new AssertionError("no Sent copy here");
        }).apply(m));
        assertThat(g.outcome().kind()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(g.item().content()).isEqualTo(m.content());
    }

    @Test
    void recipientsOfOneLaneOnly() throws Exception {
        MailItem m = item("Subject: x\r\n\r\nb\r\n");
        assertThat(m.recipients()).allMatch(r -> r.direction() == Direction.INBOUND);
        assertThat(new Recipient(RcptTo.of(Address.parse("x@y.test")), Direction.OUTBOUND, 0).direction()).isEqualTo(Direction.OUTBOUND);
    }

    // ---- PDF ----

    @Test
    void pdfTurnsTheRecipientsCopyIntoACarrierWithoutItsTextAndDefersWhenThePasswordIsGone() throws Exception {
        String msg = "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: figures\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nsecret figures 42\r\n";
        MailItem m = item(msg, "bob@remote.test");
        org.mailseal.mail.Recipient r = m.recipients().get(0);
        MailItem marked = m.withTreatment(new org.mailseal.policy.Encryption.Pdf(r, "test", org.mailseal.policy.PdfPassword.RECIPIENT));
        PdfStage stage = new PdfStage(spool(), email -> java.util.Optional.of("stage-test-password".toCharArray()), new PasswordNotices(), false, "gw.test", PdfStage.ReplyLinks.NONE, PdfStage.Secrets.NONE);
        Routing.Group g = only(stage.apply(marked));
        assertThat(g.outcome()).isEqualTo(Outcome.CONTINUE);
        String carrier = text(g.item());
        assertThat(carrier).startsWith("From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: figures\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=").doesNotContain("secret figures").doesNotContain("stage-test-password")
                .doesNotContain("Content-Transfer-Encoding: 7bit\r\n\r\nsecret").contains("filename=\"message.pdf\"");
        assertThat(g.item().treatment()).isEqualTo(new org.mailseal.mail.Treatment.Transformed("pdf"));
        // Other treatments pass untouched.
        assertThat(only(stage.apply(m)).item()).isSameAs(m);
        PdfStage gone = new PdfStage(spool(), email -> java.util.Optional.empty(), new PasswordNotices(), false, "gw.test", PdfStage.ReplyLinks.NONE, PdfStage.Secrets.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gone.apply(marked)).hasMessageContaining("no PDF password");

        // A generated password: left for the sender, never in the carrier, and it opens the PDF.
        PasswordNotices notices = new PasswordNotices();
        PdfStage generating = new PdfStage(spool(), email -> { throw new AssertionError("no stored password is looked up"); }, notices, false, "gw.test", PdfStage.ReplyLinks.NONE, PdfStage.Secrets.NONE);
        MailItem gen = generating.apply(m.withTreatment(new org.mailseal.policy.Encryption.Pdf(r, "test", org.mailseal.policy.PdfPassword.GENERATED))).groups().get(0).item();
        List<PasswordNotices.Notice> left = notices.take(m.queueId());
        assertThat(left).hasSize(1);
        String pw = new String(left.get(0).password());
        assertThat(pw).hasSize(PasswordNotices.LENGTH).matches("[A-Za-z2-9]+");
        assertThat(left.get(0).subject()).isEqualTo("figures");
        assertThat(text(gen)).doesNotContain(pw);
        jakarta.mail.internet.MimeMessage mm = new jakarta.mail.internet.MimeMessage(jakarta.mail.Session.getInstance(new java.util.Properties()),
                Files.newInputStream(gen.content()));
        byte[] pdfBytes = ((jakarta.mail.Multipart) mm.getContent()).getBodyPart(1).getInputStream().readAllBytes();
        try (var doc = org.apache.pdfbox.Loader.loadPDF(pdfBytes, pw)) {
            assertThat(new org.apache.pdfbox.text.PDFTextStripper().getText(doc)).contains("secret figures 42");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> org.apache.pdfbox.Loader.loadPDF(pdfBytes, "not-" + pw))
                .isInstanceOf(org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException.class);
        assertThat(notices.take(m.queueId())).as("taken once").isEmpty();
    }

    // ---- subject trigger ----

    @Test
    void subjectTriggerIsTakenOutOfTheSubjectAndMarksTheMessage() throws Exception {
        SubjectTriggerStage stage = new SubjectTriggerStage(spool(), "[secure]");
        MailItem plain = item("From: a@example.com\r\nSubject: figures\r\n\r\nbody\r\n");
        assertThat(only(stage.apply(plain)).item()).isSameAs(plain);
        Routing.Group g = only(stage.apply(item("From: a@example.com\r\nSubject: [Secure]  figures\r\nTo: b@x.test\r\n\r\nbody\r\n")));
        assertThat(g.item().secureRequested()).isTrue();
        assertThat(text(g.item())).isEqualTo("From: a@example.com\r\nSubject: figures\r\nTo: b@x.test\r\n\r\nbody\r\n");
        // Inside an encoded word (RFC 2047): found after decoding; what remains is encoded again.
        Routing.Group enc = only(stage.apply(item("Subject: =?UTF-8?Q?=5Bsecure=5D_Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n")));
        assertThat(enc.item().secureRequested()).isTrue();
        String subject = enc.item().header().value("Subject");
        assertThat(subject).doesNotContain("secure").startsWith("=?");
        assertThat(org.apache.james.mime4j.codec.DecoderUtil.decodeEncodedWords(subject, org.apache.james.mime4j.codec.DecodeMonitor.SILENT))
                .isEqualTo("Grüße");
        // Off: nothing looked at.
        MailItem marked = item("Subject: [secure] x\r\n\r\nbody\r\n");
        assertThat(only(new SubjectTriggerStage(spool(), "").apply(marked)).item()).isSameAs(marked);
        assertThat(SubjectTriggerStage.without("Re: [SECURE] a [secure]", "[secure]")).isEqualTo("Re: a");
    }
}
