package org.mailseal.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.dkim.BodyHash;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import org.mailseal.mailauth.dkim.DkimKeyRecord;
import org.mailseal.mailauth.dkim.DkimResult;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.mailauth.dkim.DkimVerifier;
import org.mailseal.mailauth.results.AuthenticationResults;
import org.mailseal.mime.RawHeader;

/** The DKIM core on its own: canonicalization, signing and verifying, and every way a signature fails. */
class DkimTest {

    final Map<String, DnsResolver.Answer<String>> dns = new HashMap<>();
    final DkimVerifier verifier = new DkimVerifier(name -> dns.getOrDefault(name, new DnsResolver.Answer<>(DnsResolver.Status.NONE, List.of(), "NXDOMAIN")));

    void publish(String name, String txt) {
        dns.put(name, new DnsResolver.Answer<>(DnsResolver.Status.FOUND, List.of(txt), null));
    }

    static final String MESSAGE = "From: Alice <alice@example.com>\r\nTo: bob@remote.test\r\nSubject: Hello  there \r\n\tfolded\r\n"
            + "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nHello   Bob, \r\n\r\nsecond line\t\r\n\r\n\r\n";

    static List<DkimResult> verify(DkimVerifier v, String message) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1));
        RawHeader h = RawHeader.read(in, 1 << 20);
        return v.verify(h, in, Instant.now());
    }

    String sign(String message, DkimSigner.SigningKey... keys) throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1));
        RawHeader h = RawHeader.read(in, 1 << 20);
        byte[] rest = in.readAllBytes();
        byte[] bh = BodyHash.of(new ByteArrayInputStream(rest), Canonicalization.RELAXED);
        StringBuilder out = new StringBuilder();
        for (DkimSigner.SigningKey k : keys) {
            out.append(new String(DkimSigner.sign(h.fields(), bh, k, Instant.now()).raw(), StandardCharsets.ISO_8859_1));
        }
        for (RawHeader.Field f : h.fields()) {
            out.append(new String(f.raw(), StandardCharsets.ISO_8859_1));
        }
        return out + "\r\n" + new String(rest, StandardCharsets.ISO_8859_1);
    }

    DkimSigner.SigningKey key(DkimAlgorithm alg, String selector) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519");
        if (alg == DkimAlgorithm.RSA_SHA256) {
            g.initialize(2048);
        }
        KeyPair kp = g.generateKeyPair();
        publish(selector + "._domainkey.example.com", DkimKeyRecord.record(alg, kp.getPublic()));
        return new DkimSigner.SigningKey("example.com", selector, alg, kp.getPrivate());
    }

    static String canon(Canonicalization c, String body) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Canonicalization.BodyCanonicalizer b = c.body(out);
        b.write(body.getBytes(StandardCharsets.ISO_8859_1));
        b.finish();
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void bodyCanonicalizationFollowsRfc6376Section345() throws Exception {
        // The example of RFC 6376 §3.4.5.
        String body = " C \r\nD \t E\r\n\r\n\r\n";
        assertThat(canon(Canonicalization.RELAXED, body)).isEqualTo(" C\r\nD E\r\n");
        assertThat(canon(Canonicalization.SIMPLE, body)).isEqualTo(" C \r\nD \t E\r\n");
        assertThat(canon(Canonicalization.SIMPLE, "")).isEqualTo("\r\n");
        assertThat(canon(Canonicalization.RELAXED, "")).isEmpty();
        assertThat(canon(Canonicalization.RELAXED, "\r\n\r\n")).isEmpty();
        assertThat(canon(Canonicalization.RELAXED, "no newline")).isEqualTo("no newline\r\n");
        assertThat(canon(Canonicalization.SIMPLE, "a\rb\r")).isEqualTo("a\rb\r\r\n");
        String header = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
        assertThat(new String(Canonicalization.RELAXED.header("B : Y\t\r\n\tZ  \r\n".getBytes(StandardCharsets.ISO_8859_1)),
                StandardCharsets.ISO_8859_1)).isEqualTo("b:Y Z\r\n");
        assertThat(header).isNotEmpty();
    }

    @Test
    void verifiesTheEd25519ExampleOfRfc8463AppendixA() throws Exception {
        publish("brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        String msg = new String(getClass().getResourceAsStream("/dkim/rfc8463-appendix-a.eml").readAllBytes(), StandardCharsets.ISO_8859_1);
        List<DkimResult> r = verify(verifier, msg);
        assertThat(r).hasSize(2);
        assertThat(r.get(0).verdict()).as(r.get(0).reason()).isEqualTo(Verdict.PASS);
        assertThat(r.get(0).algorithm()).isEqualTo("ed25519-sha256");
        // The RSA signature's key (selector "test") is not published here: a missing key is a permanent error.
        assertThat(r.get(1).verdict()).isEqualTo(Verdict.PERMERROR);
        // One changed byte in the body: the body hash fails.
        assertThat(verify(verifier, msg.replace("We lost the game.", "We won the game.")).get(0).verdict()).isEqualTo(Verdict.FAIL);
    }

    @Test
    void signsAndVerifiesWithRsaAndEd25519() throws Exception {
        String signed = sign(MESSAGE, key(DkimAlgorithm.RSA_SHA256, "r1"), key(DkimAlgorithm.ED25519_SHA256, "e1"));
        List<DkimResult> r = verify(verifier, signed);
        assertThat(r).extracting(DkimResult::verdict).containsExactly(Verdict.PASS, Verdict.PASS);
        assertThat(r).extracting(DkimResult::algorithm).containsExactlyInAnyOrder("rsa-sha256", "ed25519-sha256");
        // Relaxed: white space changed on the way still verifies.
        assertThat(verify(verifier, signed.replace("Hello   Bob, ", "Hello Bob,")).get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(signed).doesNotContain("l=");
    }

    @Test
    void changedOrAddedHeadersFail() throws Exception {
        String signed = sign(MESSAGE, key(DkimAlgorithm.RSA_SHA256, "r1"));
        assertThat(verify(verifier, signed.replace("Subject: Hello", "Subject: Hullo")).get(0).verdict()).isEqualTo(Verdict.FAIL);
        // Over-signed: a second From (or Subject) added above makes it fail, not pass.
        String extraFrom = signed.replace("From: Alice", "From: Mallory <m@evil.test>\r\nFrom: Alice");
        assertThat(verify(verifier, extraFrom).get(0).verdict()).isEqualTo(Verdict.FAIL);
        String extraSubject = signed.replace("To: bob", "Subject: urgent\r\nTo: bob");
        assertThat(verify(verifier, extraSubject).get(0).verdict()).isEqualTo(Verdict.FAIL);
        // A field that is not signed may be added (a Received on the way).
        assertThat(verify(verifier, "Received: from x by y\r\n" + signed).get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(verify(verifier, signed.replace("second line", "third line")).get(0).reason()).isEqualTo("body hash did not verify");
    }

    @Test
    void keyProblemsAndDnsFailures() throws Exception {
        String signed = sign(MESSAGE, key(DkimAlgorithm.RSA_SHA256, "r1"));
        dns.put("r1._domainkey.example.com", new DnsResolver.Answer<>(DnsResolver.Status.TEMPERROR, List.of(), "timed out"));
        assertThat(verify(verifier, signed).get(0).verdict()).as("a DNS failure is never a fail").isEqualTo(Verdict.TEMPERROR);
        publish("r1._domainkey.example.com", "v=DKIM1; k=rsa; p=");
        assertThat(verify(verifier, signed).get(0)).extracting(DkimResult::verdict, DkimResult::reason).containsExactly(Verdict.PERMERROR, "key revoked");
        dns.remove("r1._domainkey.example.com");
        assertThat(verify(verifier, signed).get(0).verdict()).isEqualTo(Verdict.PERMERROR);
        // Another domain's key under that name: the signature does not verify.
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        publish("r1._domainkey.example.com", DkimKeyRecord.record(DkimAlgorithm.RSA_SHA256, g.generateKeyPair().getPublic()));
        assertThat(verify(verifier, signed).get(0).verdict()).isEqualTo(Verdict.FAIL);
        // An RSA key under 1024 bits (RFC 8301).
        g.initialize(768);
        publish("r1._domainkey.example.com", DkimKeyRecord.record(DkimAlgorithm.RSA_SHA256, g.generateKeyPair().getPublic()));
        assertThat(verify(verifier, signed).get(0).verdict()).isEqualTo(Verdict.PERMERROR);
    }

    @Test
    void malformedSignaturesArePermanentErrors() throws Exception {
        String body = "\r\nhello\r\n";
        String base = "From: a@example.com\r\n";
        List<String> bad = new ArrayList<>(List.of(
                "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=r1; h=from; bh=AA==; b=AA==\r\n",
                "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=r1; h=to; bh=AA==; b=AA==\r\n",
                "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=r1; h=from; bh=AA==\r\n",
                "DKIM-Signature: v=1; v=1; a=rsa-sha256; d=example.com; s=r1; h=from; bh=AA==; b=AA==\r\n",
                "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; i=@evil.test; s=r1; h=from; bh=AA==; b=AA==\r\n",
                "DKIM-Signature: garbage\r\n"));
        for (String sig : bad) {
            assertThat(verify(verifier, sig + base + body).get(0).verdict()).as(sig).isEqualTo(Verdict.PERMERROR);
        }
        assertThat(verify(verifier, base + body)).isEmpty();
    }

    @Test
    void aSignatureOverPartOfTheBodyIsPolicyNotPass() throws Exception {
        // l= (RFC 6376 §8.2): a signer that signs only the first bytes lets anyone append to the body.
        DkimSigner.SigningKey k = key(DkimAlgorithm.ED25519_SHA256, "e1");
        String msg = "From: a@example.com\r\nSubject: s\r\n\r\nsigned part\r\n";
        byte[] bh = BodyHash.of(new ByteArrayInputStream("signed part\r\n".getBytes(StandardCharsets.US_ASCII)), Canonicalization.RELAXED);
        String b64 = java.util.Base64.getEncoder().encodeToString(bh);
        String unsigned = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=e1; l=13; h=from:subject; bh=" + b64 + "; b=\r\n";
        RawHeader h = RawHeader.read(new ByteArrayInputStream((unsigned + msg).getBytes(StandardCharsets.US_ASCII)), 1 << 20);
        byte[] data = org.mailseal.mailauth.dkim.SignedHeaders.data(h.fields().subList(1, h.fields().size()), List.of("from", "subject"),
                Canonicalization.RELAXED, h.fields().get(0).raw());
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initSign(k.key());
        s.update(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        String signedMsg = unsigned.replace("b=\r\n", "b=" + java.util.Base64.getEncoder().encodeToString(s.sign()) + "\r\n") + msg;
        assertThat(verify(verifier, signedMsg).get(0).verdict()).isEqualTo(Verdict.PASS);
        List<DkimResult> appended = verify(verifier, signedMsg + "\r\nClick here: http://evil.test/\r\n");
        assertThat(appended.get(0).verdict()).isEqualTo(Verdict.POLICY);
        assertThat(appended.get(0).reason()).contains("unsigned");
    }

    @Test
    void authenticationResultsQuoteWhatTheSenderWrote() {
        String v = AuthenticationResults.value("gw.example.com", List.of(
                new DkimResult(Verdict.PASS, "example.com", "r1", "rsa-sha256", "abcdEFGH", null),
                new DkimResult(Verdict.PERMERROR, "bad domain;x", "s", "", "", "no key (really)")));
        assertThat(v).isEqualTo("gw.example.com;\r\n\tdkim=pass header.d=example.com header.s=r1 header.a=rsa-sha256 header.b=abcdEFGH;\r\n"
                + "\tdkim=permerror (no key \\(really\\)) header.d=\"bad domain;x\" header.s=s");
        assertThat(AuthenticationResults.value("gw.example.com", List.of())).endsWith("dkim=none");
    }
}
