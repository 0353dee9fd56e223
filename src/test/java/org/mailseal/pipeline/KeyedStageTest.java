package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.TlsPolicy;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.pgp.PgpMimeSigner;
import org.mailseal.crypto.smime.SmimeDecryptor;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyBook;
import org.mailseal.keys.SenderKeys;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.SessionInfo;
import org.mailseal.mail.XForward;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.RelaySignatureRule;
import org.mailseal.relay.RelayResult;
import org.mailseal.relay.RouteTable;
import org.mailseal.smtp.SmtpReply;
import org.mailseal.spool.Spool;
import org.mailseal.testkit.ByteExact;

/**
 * The stages that use keys, each on its own: harvest, decrypt, sign, Sent copy, and the relay exit. Keys
 * live in memory (a {@link KeyBook} and {@link SenderKeys} of maps), the next hop is a fake: no gateway,
 * network or database.
 */
class KeyedStageTest {

    @TempDir
    Path dir;

    static PGPSecretKeyRing alice;   // a local user, alice@example.com
    static PGPSecretKeyRing relay;   // example.com's relay key
    static PGPSecretKeyRing bob;     // a remote correspondent, bob@remote.test
    static PGPSecretKeyRing mallory; // anyone else

    @BeforeAll
    static void keys() throws Exception {
        alice = PgpKeys.generate("alice@example.com", null, PgpKeys.Algo.CV25519);
        relay = PgpKeys.generate("relay@example.com", null, PgpKeys.Algo.CV25519);
        bob = PgpKeys.generate("bob@remote.test", null, PgpKeys.Algo.CV25519);
        mallory = PgpKeys.generate("mallory@evil.test", null, PgpKeys.Algo.CV25519);
    }

    Spool spool() throws Exception {
        return new Spool(dir.resolve("data"), false);
    }

    /** A spooled message from {@code sender} (SMTP AUTH user if outbound) to {@code rcpts}. */
    MailItem item(String content, Direction direction, String sender, String... rcpts) throws Exception {
        Path p = Files.createTempFile(dir, "m", ".eml");
        Files.writeString(p, content, StandardCharsets.ISO_8859_1);
        List<Recipient> rs = new ArrayList<>();
        for (int i = 0; i < rcpts.length; i++) {
            rs.add(new Recipient(RcptTo.of(Address.parse(rcpts[i])), direction, i));
        }
        SessionInfo s = new SessionInfo(InetAddress.getLoopbackAddress(), "unknown", "client.test", true, false, null,
                direction == Direction.OUTBOUND ? sender : null, XForward.EMPTY);
        return new MailItem("Q7", s, MailFrom.of(Address.parse(sender)), rs, p, Instant.now());
    }

    static Routing.Group only(Routing r) {
        assertThat(r.groups()).hasSize(1);
        return r.groups().get(0);
    }

    static String text(Path p) throws Exception {
        return Files.readString(p, StandardCharsets.ISO_8859_1);
    }

    // ---- keys in memory ----

    /** Public keys by address; records what was learned. */
    static final class Book implements KeyBook {
        final Map<String, PgpKeys.ValidCert> pgp = new HashMap<>();
        final List<String> learned = new ArrayList<>();

        @Override
        public Optional<PgpKeys.ValidCert> pgp(String address) {
            return Optional.ofNullable(pgp.get(address));
        }

        @Override
        public Optional<CertDirectory.ValidCert> smime(String address) {
            return Optional.empty();
        }

        @Override
        public void learnPgp(String address, PGPPublicKeyRing ring) throws Exception {
            pgp.put(address, PgpKeys.validate(ring, address, Instant.now()));
            learned.add(address + " " + PgpKeys.fingerprint(ring.getPublicKey()));
        }

        @Override
        public void learnSmime(String address, X509Certificate signer, List<X509Certificate> chain) {
            learned.add(address + " S/MIME");
        }
    }

    /** The relay key of example.com and alice's key (secret and registered public) in memory. */
    static final class Senders implements SenderKeys {
        final Map<String, PGPSecretKeyRing> secrets = new HashMap<>(Map.of("relay@example.com", relay, "alice@example.com", alice));
        final Map<String, PGPPublicKeyRing> registered = new HashMap<>(Map.of("alice@example.com", PgpKeys.publicRing(alice)));

        @Override
        public List<SmimeDecryptor.Candidate> smimeKeys(String email) {
            return List.of();
        }

        @Override
        public List<PgpDecryptor.Candidate> pgpCandidates(String email) {
            PGPSecretKeyRing s = secrets.get(email);
            return s == null ? List.of() : List.of(PgpDecryptor.Candidate.of(s));
        }

        @Override
        public PGPPublicKey registeredSigningKey(String email, long keyId) {
            PGPPublicKeyRing r = registered.get(email);
            return r == null ? null : r.getPublicKey(keyId);
        }

        @Override
        public String relayAddress(String domain) {
            return "relay@" + domain;
        }

        @Override
        public PgpMimeSigner pgpSigner(String email) throws Exception {
            PGPSecretKeyRing s = secrets.get(email);
            return s == null ? null : new PgpMimeSigner(s);
        }

        @Override
        public List<X509Certificate> registeredCerts(String email) {
            return List.of();
        }

        @Override
        public List<X509Certificate> chainFor(X509Certificate c) {
            return List.of();
        }
    }

    // ---- harvest ----

    static String autocrypt(String addr, PGPSecretKeyRing key) throws Exception {
        String data = Base64.getEncoder().encodeToString(PgpKeys.publicRing(key).getEncoded());
        StringBuilder folded = new StringBuilder();
        for (int i = 0; i < data.length(); i += 72) {
            folded.append("\r\n ").append(data, i, Math.min(data.length(), i + 72));
        }
        return "Autocrypt: addr=" + addr + "; keydata=" + folded + "\r\n";
    }

    @Test
    void harvestLearnsARemoteSendersAutocryptKeyOnceAndNeverForALocalAddress() throws Exception {
        Book book = new Book();
        HarvestStage stage = new HarvestStage(book, Set.of("example.com"));
        String body = "Subject: hello\r\n\r\nhi\r\n";
        MailItem unproven = item("From: Bob <bob@remote.test>\r\n" + autocrypt("bob@remote.test", bob) + body, Direction.INBOUND,
                "bob@remote.test", "alice@example.com");
        // Without a DMARC pass for remote.test (a forged first mail), no key is planted.
        stage.apply(unproven);
        stage.apply(unproven.withAuthenticatedFrom("evil.test"));
        assertThat(book.learned).isEmpty();
        MailItem first = unproven.withAuthenticatedFrom("remote.test");
        Routing.Group g = only(stage.apply(first));
        assertThat(g.outcome().isFinal()).isFalse();
        assertThat(g.item().content()).as("learning never changes the mail").isEqualTo(first.content());
        assertThat(book.learned).containsExactly("bob@remote.test " + PgpKeys.fingerprint(bob.getPublicKey()));

        // A later header with another key does not replace the one known.
        stage.apply(item("From: bob@remote.test\r\n" + autocrypt("bob@remote.test", mallory) + body, Direction.INBOUND, "bob@remote.test",
                "alice@example.com").withAuthenticatedFrom("remote.test"));
        // An outsider writing a local From, a header for another address, a spam-flagged or a report: nothing learned.
        stage.apply(item("From: newuser@example.com\r\n" + autocrypt("newuser@example.com", mallory) + body, Direction.INBOUND,
                "mallory@evil.test", "alice@example.com").withAuthenticatedFrom("example.com"));
        stage.apply(item("From: carol@remote.test\r\n" + autocrypt("dave@remote.test", mallory) + body, Direction.INBOUND,
                "carol@remote.test", "alice@example.com").withAuthenticatedFrom("remote.test"));
        stage.apply(item("From: erin@remote.test\r\nX-Spam-Flag: YES\r\n" + autocrypt("erin@remote.test", mallory) + body,
                Direction.INBOUND, "erin@remote.test", "alice@example.com").withAuthenticatedFrom("remote.test"));
        stage.apply(item("From: frank@remote.test\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n"
                + autocrypt("frank@remote.test", mallory) + "\r\n--b--\r\n", Direction.INBOUND, "frank@remote.test", "alice@example.com").withAuthenticatedFrom("remote.test"));
        assertThat(book.learned).hasSize(1);
        assertThat(book.pgp("bob@remote.test").orElseThrow().fingerprint()).isEqualTo(PgpKeys.fingerprint(bob.getPublicKey()));
    }

    // ---- decrypt ----

    static final String INNER = "From: Alice <alice@example.com>\r\nTo: bob@remote.test\r\nSubject: quarterly figures\r\n"
            + "Message-ID: <k1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe secret body\r\n";

    /** What the user's client sends: {@code inner} signed by {@code signer} (null: unsigned), encrypted to {@code to}, PGP/MIME. */
    static String pgpMime(String inner, PGPSecretKeyRing signer, PGPSecretKeyRing to) throws Exception {
        byte[] message = inner.getBytes(StandardCharsets.UTF_8);
        PGPPublicKey encryptionKey = PgpKeys.validate(PgpKeys.publicRing(to), null, Instant.now()).encryptionKeys().get(0);
        PGPEncryptedDataGenerator enc = new PGPEncryptedDataGenerator(new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setWithIntegrityPacket(true).setSecureRandom(new SecureRandom()));
        enc.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(encryptionKey));
        ByteArrayOutputStream armored = new ByteArrayOutputStream();
        try (ArmoredOutputStream armor = new ArmoredOutputStream(armored); OutputStream e = enc.open(armor, new byte[1 << 12])) {
            PGPSignatureGenerator sig = null;
            if (signer != null) {
                PGPSecretKey sk = PgpMimeSigner.signingKey(signer);
                PGPPrivateKey pk = sk.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]));
                sig = new PGPSignatureGenerator(new BcPGPContentSignerBuilder(sk.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256),
                        sk.getPublicKey());
                sig.init(PGPSignature.BINARY_DOCUMENT, pk);
                PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
                h.setSignatureCreationTime(false, new Date());
                h.setIssuerFingerprint(false, sk.getPublicKey());
                sig.setHashedSubpackets(h.generate());
                sig.generateOnePassVersion(false).encode(e);
            }
            try (OutputStream lit = new PGPLiteralDataGenerator().open(e, PGPLiteralData.BINARY, "", message.length, new Date())) {
                lit.write(message);
            }
            if (sig != null) {
                sig.update(message);
                sig.generate().encode(e);
            }
        }
        return "From: alice@example.com\r\nTo: bob@remote.test\r\nSubject: ...\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\r\n\r\n"
                + "--enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
                + "--enc\r\nContent-Type: application/octet-stream\r\n\r\n"
                + armored.toString(StandardCharsets.US_ASCII).replaceAll("\r?\n", "\r\n") + "\r\n--enc--\r\n";
    }

    DecryptStage decrypt(Set<String> seen) throws Exception {
        DecryptStage.Replays replays = (signature, queueId) -> seen.add(Base64.getEncoder().encodeToString(signature));
        DecryptStage.Owners owners = (sender, address) -> Address.normalise(address).equals(sender);
        return new DecryptStage(spool(), new Senders(), replays, new RelaySignatureRule(java.time.Duration.ofMinutes(10)), owners, 1 << 20, null);
    }

    @Test
    void decryptOpensARelayKeyMessageSignedByTheSenderOnceAndRefusesTheRest() throws Exception {
        Set<String> seen = new HashSet<>();
        DecryptStage stage = decrypt(seen);
        String sent = pgpMime(INNER, alice, relay);
        Routing.Group g = only(stage.apply(item(sent, Direction.OUTBOUND, "alice@example.com", "bob@remote.test")));
        assertThat(g.outcome().isFinal()).isFalse();
        assertThat(text(g.item().content())).as("the message the client wrote, byte for byte").isEqualTo(INNER);

        // The same message again is a replay; unsigned, signed by a key alice never registered, or with another
        // From inside: each refused with the one uniform reply.
        SmtpReply refused = DecryptStage.FAILED;
        assertThat(only(stage.apply(item(sent, Direction.OUTBOUND, "alice@example.com", "bob@remote.test"))).outcome().reply()).isEqualTo(refused);
        for (String bad : List.of(pgpMime(INNER, null, relay), pgpMime(INNER, mallory, relay),
                pgpMime(INNER.replace("alice@example.com", "ceo@example.com"), alice, relay))) {
            Routing.Group r = only(stage.apply(item(bad, Direction.OUTBOUND, "alice@example.com", "bob@remote.test")));
            assertThat(r.outcome().kind()).isEqualTo(Outcome.Kind.REJECT);
            assertThat(r.outcome().reply()).isEqualTo(refused);
        }
        assertThat(seen).as("only the accepted message's signature is remembered").hasSize(1);
    }

    @Test
    void decryptLeavesEndToEndAndPlainMailAsItIs() throws Exception {
        DecryptStage stage = decrypt(new HashSet<>());
        MailItem endToEnd = item(pgpMime(INNER, alice, bob), Direction.OUTBOUND, "alice@example.com", "bob@remote.test");
        Routing.Group g = only(stage.apply(endToEnd));
        assertThat(g.outcome().isFinal()).isFalse();
        assertThat(g.item().content()).isEqualTo(endToEnd.content());
        MailItem plain = item(INNER, Direction.OUTBOUND, "alice@example.com", "bob@remote.test");
        assertThat(only(stage.apply(plain)).item().content()).isEqualTo(plain.content());
    }

    // ---- sign ----

    @Test
    void signWrapsTheMessageInPgpMimeWithTheSendersKeyAndLeavesOthersAlone() throws Exception {
        SignStage stage = new SignStage(spool(), new PolicyResolver(ConfigLoader.parse("test", "policy: {sign: openpgp}\n"), null)::resolve,
                new Senders());
        Routing.Group g = only(stage.apply(item(INNER, Direction.OUTBOUND, "alice@example.com", "bob@remote.test")));
        String out = text(g.item().content());
        assertThat(out).contains("multipart/signed", "protocol=\"application/pgp-signature\"", "micalg=pgp-sha256",
                "-----BEGIN PGP SIGNATURE-----", "Subject: quarterly figures", "\r\n\r\nthe secret body\r\n");

        // A sender without a key of its own or of its domain: unsigned, never held back. Policy none: untouched.
        MailItem stranger = item(INNER.replace("alice@example.com", "zed@other.example"), Direction.OUTBOUND, "zed@other.example",
                "bob@remote.test");
        assertThat(only(stage.apply(stranger)).item().content()).isEqualTo(stranger.content());
        SignStage none = new SignStage(spool(), new PolicyResolver(ConfigLoader.parse("test", "{}\n"), null)::resolve, new Senders());
        MailItem plain = item(INNER, Direction.OUTBOUND, "alice@example.com", "bob@remote.test");
        assertThat(only(none.apply(plain)).item().content()).isEqualTo(plain.content());
        // Mail still encrypted end to end is not signed again.
        MailItem encrypted = item(pgpMime(INNER, alice, bob), Direction.OUTBOUND, "alice@example.com", "bob@remote.test");
        assertThat(only(stage.apply(encrypted)).item().content()).isEqualTo(encrypted.content());
    }

    // ---- Sent copy ----

    @Test
    void sentCopyIsEncryptedToTheSenderOnlyAndNeverMadeInPlaintext() throws Exception {
        Book book = new Book();
        book.pgp.put("alice@example.com", PgpKeys.validate(PgpKeys.publicRing(alice), "alice@example.com", Instant.now()));
        SentCopyStage stage = new SentCopyStage(spool(), address -> !address.startsWith("nologin"), book, null);
        MailItem m = item(INNER, Direction.OUTBOUND, "alice@example.com", "bob@remote.test");
        Routing.Group g = only(stage.apply(m));
        assertThat(g.item().content()).as("the mail itself is unchanged").isEqualTo(m.content());
        String copy = text(g.item().sentCopy());
        assertThat(copy).contains("multipart/encrypted").doesNotContain("the secret body");
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        PgpDecryptor.decrypt(new ByteArrayInputStream(ByteExact.armoredPart(copy)), alice, plain);
        assertThat(plain.toString(StandardCharsets.UTF_8)).contains("the secret body");

        MailItem noKey = item(INNER.replace("alice@", "keyless@"), Direction.OUTBOUND, "keyless@example.com", "bob@remote.test");
        assertThat(only(stage.apply(noKey)).item().sentCopy()).as("no key: no copy, never a plaintext one").isNull();
        MailItem noLogin = item(INNER.replace("alice@", "nologin@"), Direction.OUTBOUND, "nologin@example.com", "bob@remote.test");
        assertThat(only(stage.apply(noLogin)).item().sentCopy()).isNull();
    }

    // ---- relay ----

    @Test
    void relayGivesEachRecipientTheNextHopsAnswerPerRouteAndQueuesTheSentCopyOnce() throws Exception {
        RouteTable routes = new RouteTable(ConfigLoader.parse("test",
                "relay: {defaultRoute: \"[192.0.2.1]:25\", routes: {other.test: {nexthop: \"[192.0.2.2]:25\", tls: none}}}\n").relay());
        List<String> hops = new ArrayList<>();
        RelayStage.NextHop next = (msg, hop, tls, deadline) -> {
            hops.add(hop + " " + tls + " " + msg.recipients().size());
            List<RelayResult> out = new ArrayList<>();
            for (RcptTo r : msg.recipients()) {
                SmtpReply reply = switch (r.recipient().localPart()) {
                    case "busy" -> SmtpReply.of(451, "4.3.0", "try later");
                    case "gone" -> SmtpReply.of(550, "5.1.1", "no such user");
                    default -> SmtpReply.of(250, "2.0.0", "Ok: queued as NEXT");
                };
                out.add(new RelayResult(reply, hop.toString()));
            }
            return out;
        };
        List<String> copies = new ArrayList<>();
        RelayStage stage = new RelayStage(next, routes, java.time.Duration.ofMinutes(9), item -> copies.add(item.queueId()));
        MailItem m = item(INNER, Direction.OUTBOUND, "alice@example.com", "bob@remote.test", "busy@remote.test", "gone@other.test")
                .withSentCopy(Files.createTempFile(dir, "sent", ".eml"));
        Routing r = stage.apply(m);
        Map<String, Outcome.Kind> kinds = new HashMap<>();
        r.groups().forEach(g -> kinds.put(g.item().recipients().get(0).address().toString(), g.outcome().kind()));
        assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of("bob@remote.test", Outcome.Kind.DELIVERED,
                "busy@remote.test", Outcome.Kind.DEFER, "gone@other.test", Outcome.Kind.REJECT));
        assertThat(hops).containsExactly("[192.0.2.1]:25 " + TlsPolicy.MAY + " 2", "[192.0.2.2]:25 " + TlsPolicy.NONE + " 1");
        assertThat(copies).as("queued once, for the route that delivered").containsExactly("Q7");
    }
}
