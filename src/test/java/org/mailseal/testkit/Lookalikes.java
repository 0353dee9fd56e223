package org.mailseal.testkit;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EncryptedContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientIdentifier;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Plaintext that looks encrypted: messages whose labels (Content-Type, first line, file names, part
 * structure) claim ciphertext while readable text, marked with a canary, sits in the body. Under
 * {@code encrypt: mandatory} every one of them must be encrypted; none may pass untouched. Two are
 * accidents that happen with ordinary mail (a cover note with an attached {@code .pgp} file, a reply
 * that starts with a quoted PGP block).
 */
public final class Lookalikes {

    private Lookalikes() {
    }

    /** One crafted message and the canary that must never reach the next hop in clear. */
    public record Case(String name, String canary, byte[] bytes) {
    }

    private static final String HEAD = "From: Mallory <mallory@internet.test>\r\nTo: Alice <alice@example.com>\r\n"
            + "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n";

    /** A real OpenPGP message (gpg), as armor, from the pass-through corpus. */
    public static String realArmor() throws java.io.IOException {
        String s = new String(Corpus.load("passthrough").stream().filter(m -> m.name().startsWith("02")).findFirst().orElseThrow().bytes(),
                StandardCharsets.US_ASCII);
        return s.substring(s.indexOf("-----BEGIN PGP MESSAGE-----"), s.indexOf("-----END PGP MESSAGE-----") + 25);
    }

    public static List<Case> all() throws Exception {
        List<Case> out = new ArrayList<>();
        String armor = realArmor();
        int[] n = {0};
        java.util.function.BiConsumer<String, String> add = (name, msg) -> {
            String canary = "CANARY-" + (++n[0]) + "-IBAN-DE89370400440532013000";
            out.add(new Case(name, canary, msg.replace("@CANARY@", canary).getBytes(StandardCharsets.UTF_8)));
        };
        String v1 = "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n";
        String mpEnc = "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n";

        add.accept("armor-first-line-no-end", HEAD + "Subject: a\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@ wire the money\r\n");
        add.accept("armor-first-line-with-end", HEAD + "Subject: b\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@\r\n-----END PGP MESSAGE-----\r\n");
        add.accept("armor-no-content-type", HEAD + "Subject: c\r\n\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@\r\n-----END PGP MESSAGE-----\r\n");
        add.accept("application-pgp-plain", HEAD + "Subject: d\r\nContent-Type: application/pgp\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@\r\n-----END PGP MESSAGE-----\r\n");
        add.accept("multipart-encrypted-plain-body", HEAD + "Subject: e\r\n" + mpEnc + "\r\n@CANARY@ no parts at all\r\n");
        add.accept("multipart-encrypted-text-parts", HEAD + "Subject: f\r\n" + mpEnc + "\r\n--b\r\nContent-Type: text/plain\r\n\r\n@CANARY@\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\nmore\r\n--b--\r\n");
        add.accept("pgp-mime-shape-plain-armor", HEAD + "Subject: g\r\n" + mpEnc + "\r\n" + v1 + "--b\r\nContent-Type: application/octet-stream\r\n\r\n"
                + "-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@\r\n-----END PGP MESSAGE-----\r\n--b--\r\n");
        add.accept("pgp-mime-shape-raw-text", HEAD + "Subject: h\r\n" + mpEnc + "\r\n" + v1 + "--b\r\nContent-Type: application/octet-stream\r\n\r\n"
                + "@CANARY@ plain words in the ciphertext part\r\n--b--\r\n");
        add.accept("pkcs7-mime-plain", HEAD + "Subject: i\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\r\n@CANARY@\r\n");
        add.accept("x-pkcs7-mime-base64-plain", HEAD + "Subject: j\r\nContent-Type: application/x-pkcs7-mime; smime-type=enveloped-data\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + b64("@CANARY@ base64 of plain text"));
        add.accept("mixed-with-pgp-encrypted-part", HEAD + "Subject: k\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\n@CANARY@\r\n" + v1 + "--b--\r\n");
        add.accept("content-type-twice", HEAD + "Subject: l\r\n" + mpEnc + "Content-Type: text/plain\r\n\r\n@CANARY@\r\n");
        add.accept("content-type-space-before-colon", HEAD + "Subject: m\r\nContent-Type : multipart/encrypted; protocol=\"application/pgp-encrypted\";"
                + " boundary=\"b\"\r\n\r\n@CANARY@\r\n");
        add.accept("accident-cover-note-with-pgp-attachment", HEAD + "Subject: n\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\nHi Alice, the file is attached. @CANARY@\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted; name=\"secret.pgp\"\r\n"
                + "Content-Disposition: attachment; filename=\"secret.pgp\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64(armor) + "--b--\r\n");
        add.accept("accident-reply-starting-with-quoted-block", HEAD + "Subject: o\r\nContent-Type: text/plain\r\n\r\n"
                + armor + "\r\n\r\n@CANARY@ my reply below your encrypted message\r\n");
        add.accept("nested-encrypted-inside-mixed", HEAD + "Subject: p\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\n"
                + mpEnc + "\r\n" + v1 + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "\r\n--b--\r\n--o\r\n"
                + "Content-Type: text/plain\r\n\r\n@CANARY@\r\n--o--\r\n");
        add.accept("base64-wrapped-armor", HEAD + "Subject: q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64("-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@\r\n-----END PGP MESSAGE-----\r\n"));
        add.accept("signed-around-fake-encrypted", HEAD + "Subject: r\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\";"
                + " micalg=pgp-sha256; boundary=\"s\"\r\n\r\n--s\r\n" + mpEnc + "\r\n--b\r\nContent-Type: text/plain\r\n\r\n@CANARY@\r\n--b--\r\n"
                + "--s\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\nAAAA\r\n-----END PGP SIGNATURE-----\r\n--s--\r\n");
        add.accept("cms-signed-data-labelled-enveloped", HEAD + "Subject: s\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + signedData());
        add.accept("real-pgp-mime-canary-in-preamble", HEAD + "Subject: t\r\n" + mpEnc + "\r\n@CANARY@ in the preamble\r\n" + v1
                + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "\r\n--b--\r\n");
        add.accept("real-pgp-mime-canary-in-epilogue", HEAD + "Subject: u\r\n" + mpEnc + "\r\n" + v1
                + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "\r\n--b--\r\n@CANARY@ in the epilogue\r\n");
        add.accept("real-pgp-mime-third-part", HEAD + "Subject: v\r\n" + mpEnc + "\r\n" + v1
                + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "\r\n--b\r\nContent-Type: text/plain\r\n\r\n@CANARY@\r\n--b--\r\n");
        add.accept("forged-packets-with-text-inside", HEAD + "Subject: w\r\n" + mpEnc + "\r\n" + v1
                + "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + forgedPackets() + "--b--\r\n");
        add.accept("real-armor-then-text", HEAD + "Subject: x\r\nContent-Type: text/plain\r\n\r\n" + armor + "\r\n@CANARY@\r\n");
        add.accept("text-then-real-armor", HEAD + "Subject: y\r\nContent-Type: text/plain\r\n\r\n@CANARY@\r\n" + armor + "\r\n");
        add.accept("exchange-shape-with-text-part", HEAD + "Subject: z\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\n@CANARY@\r\n" + v1 + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armor + "\r\n--b--\r\n");
        add.accept("forged-enveloped-data-plain-content", HEAD + "Subject: aa\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n@FORGED@");
        add.accept("multipart-encrypted-wrong-protocol", HEAD + "Subject: ab\r\nContent-Type: multipart/encrypted; protocol=\"application/pkcs7-mime\";"
                + " boundary=\"b\"\r\n\r\n" + v1 + "--b\r\nContent-Type: application/octet-stream\r\n\r\n@CANARY@\r\n--b--\r\n");
        add.accept("application-pgp-encrypted-top-level", HEAD + "Subject: ac\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n@CANARY@\r\n");
        add.accept("armor-of-base64-text", HEAD + "Subject: ad\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nComment: x\r\n\r\n"
                + b64("@CANARY@ as base64 in armor") + "-----END PGP MESSAGE-----\r\n");
        add.accept("quoted-printable-armor", HEAD + "Subject: ae\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "-----BEGIN PGP MESSAGE-----\r\n\r\n@CANARY@=20\r\n-----END PGP MESSAGE-----\r\n");
        add.accept("junk-base64-around-real-cms", HEAD + "Subject: af\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n@CANARY@\r\n@REALCMS@");
        // the forged EnvelopedData and the real CMS are filled in after the canary is known
        List<Case> fixed = new ArrayList<>();
        String realCms = realCms();
        for (Case c : out) {
            String s = new String(c.bytes(), StandardCharsets.UTF_8);
            s = s.replace("@FORGED@", forgedEnveloped(c.canary())).replace("@REALCMS@", realCms);
            fixed.add(new Case(c.name(), c.canary(), s.getBytes(StandardCharsets.UTF_8)));
        }
        return fixed;
    }

    static String b64(String s) {
        return Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(s.getBytes(StandardCharsets.UTF_8)) + "\r\n";
    }

    private static String b64(byte[] b) {
        return Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(b) + "\r\n";
    }

    private static String realCms() throws java.io.IOException {
        String s = new String(Corpus.load("passthrough").stream().filter(m -> m.name().startsWith("03")).findFirst().orElseThrow().bytes(),
                StandardCharsets.US_ASCII);
        return s.substring(s.indexOf("\r\n\r\n") + 4);
    }

    // A PKESK v3 followed by a SEIPD v1 packet whose "ciphertext" is readable text.
    private static String forgedPackets() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] pkesk = new byte[12];
        pkesk[0] = 3;
        pkesk[9] = 1;
        o.write(0xc1);
        o.write(pkesk.length);
        o.writeBytes(pkesk);
        byte[] text = "\u0001@CANARY@ hidden in a SEIPD packet body".getBytes(StandardCharsets.US_ASCII);
        o.write(0xd2);
        o.write(text.length);
        o.writeBytes(text);
        return b64(o.toByteArray());
    }

    // EnvelopedData with a made-up recipient and the canary as its "encrypted" content.
    private static String forgedEnveloped(String canary) {
        try {
            RecipientInfo ri = new RecipientInfo(new KeyTransRecipientInfo(
                    new RecipientIdentifier(new IssuerAndSerialNumber(new X500Name("CN=nobody"), BigInteger.ONE)),
                    new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption), new DEROctetString(new byte[256])));
            EncryptedContentInfo eci = new EncryptedContentInfo(CMSObjectIdentifiers.data,
                    new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_CBC, new DEROctetString(new byte[16])),
                    new DEROctetString((canary + " in an EnvelopedData that encrypts nothing").getBytes(StandardCharsets.US_ASCII)));
            EnvelopedData ed = new EnvelopedData(null, new DERSet(ri), eci, (org.bouncycastle.asn1.ASN1Set) null);
            return b64(new ContentInfo(CMSObjectIdentifiers.envelopedData, ed).getEncoded());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // Opaque CMS SignedData (readable content) with a throwaway signer.
    private static String signedData() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = org.mailseal.crypto.smime.CertificateAuthority.createCa(kp, "lookalike signer", Duration.ofDays(1));
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()), cert));
        gen.addCertificates(new JcaCertStore(List.of(cert)));
        byte[] der = gen.generate(new CMSProcessableByteArray("@CANARY@ signed, not encrypted".getBytes(StandardCharsets.US_ASCII)), true).getEncoded();
        return b64(der);
    }
}
