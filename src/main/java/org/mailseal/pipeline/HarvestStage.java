package org.mailseal.pipeline;

import jakarta.mail.internet.InternetAddress;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedDataParser;
import org.bouncycastle.cms.CMSTypedStream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.crypto.smime.SmimeVerifier;
import org.mailseal.keys.Autocrypt;
import org.mailseal.keys.KeyBook;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.ContentTypes;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns remote correspondents' keys from inbound mail, so that replies can go out encrypted: the
 * OpenPGP key in a valid Autocrypt header (Level 1 rules, see {@link Autocrypt}), and the signer's
 * certificate of an S/MIME-signed message (signature valid, certificate valid for the From address
 * and chaining to a trust anchor). A key is only added for an address that has no usable key yet, so
 * an administrator's import is never replaced. Reports (multipart/report) and mail flagged as spam are skipped. Learning never
 * affects delivery: every failure is logged and the message goes on.
 */
public final class HarvestStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("harvest");

    private final KeyBook book;
    private final java.util.Set<String> localDomains;

    /**
     * {@code localDomains}: a From address in one of them is never taught a key by inbound mail. Anyone can
     * write {@code From: newuser@example.com}; a local user's key comes from the store, the administrator
     * or the user, never from a message an outsider sent.
     */
    public HarvestStage(KeyBook book, java.util.Set<String> localDomains) {
        this(book, localDomains, domain -> true);
    }

    /**
     * {@code learnAutocrypt}: whether mail to a recipient domain may teach Autocrypt keys at all. Even then, a
     * key is learned only when the authentication stage proved the From domain (DMARC pass, RFC 7489): a
     * forged first mail must not plant a key.
     */
    public HarvestStage(KeyBook book, java.util.Set<String> localDomains, java.util.function.Predicate<String> learnAutocrypt) {
        this.book = book;
        this.localDomains = java.util.Set.copyOf(localDomains);
        this.learnAutocrypt = learnAutocrypt;
    }

    private final java.util.function.Predicate<String> learnAutocrypt;

    @Override
    public String name() {
        return "harvest";
    }

    @Override
    public Routing apply(MailItem item) {
        try {
            harvest(item);
        } catch (Exception e) {
            log.info("{}: no key learned: {}", item.queueId(), e.getMessage());
        }
        return Routing.proceed(item);
    }

    private void harvest(MailItem item) throws Exception {
        RawHeader h = item.header();
        String from = fromAddress(h);
        // Autocrypt Level 1: reports and spam teach no keys (the scan stage, before this one, flags spam).
        boolean local = from != null && localDomains.contains(from.substring(from.lastIndexOf('@') + 1));
        if (from == null || local || h.mediaType().equals("multipart/report") || "yes".equalsIgnoreCase(String.valueOf(h.value("X-Spam-Flag")).trim())) {
            return;
        }
        Autocrypt.Header ac = Autocrypt.of(h, from);
        String fromDomain = from.substring(from.lastIndexOf('@') + 1);
        String refused = ac == null ? null
                : !item.recipients().stream().allMatch(r -> learnAutocrypt.test(r.address().domainLower())) ? "Autocrypt learning is off for the recipient's domain"
                : !fromDomain.equals(item.authenticatedFrom()) ? "the From domain " + fromDomain + " did not pass DMARC" : null;
        if (refused != null && book.pgp(from).isEmpty()) {
            log.info("{}: Autocrypt key for <{}> not learned: {}", item.queueId(), from, refused);
        } else if (ac != null && book.pgp(from).isEmpty()) {
            PGPPublicKeyRing ring = PgpKeys.parsePublic(ac.keydata());
            PgpKeys.ValidCert v = PgpKeys.validate(ring, from, java.time.Instant.now()); // throws if unusable for this address
            book.learnPgp(from, ring); // bound to the Autocrypt addr only, never to its other user ids
            log.info("{}: learned OpenPGP key {} for <{}> from its Autocrypt header", item.queueId(), v.fingerprint(), from);
        }
        String ct = h.value("Content-Type");
        String protocol = ct != null ? ContentTypes.param(ct, "protocol") : null;
        if (h.mediaType().equals("multipart/signed") && protocol != null
                && protocol.trim().toLowerCase(Locale.ROOT).matches("application/(x-)?pkcs7-signature") && book.smime(from).isEmpty()) {
            harvestSmime(item, ContentTypes.param(ct, "boundary"), from);
        }
    }

    private void harvestSmime(MailItem item, String boundary, String from) throws Exception {
        byte[] signature;
        try (InputStream in = item.openBody()) {
            MimeParts.Part sig = MimeParts.open(in, boundary, 2);
            String cte = sig.header().value("Content-Transfer-Encoding");
            signature = (cte != null && cte.trim().equalsIgnoreCase("base64") ? java.util.Base64.getMimeDecoder().wrap(sig.body()) : sig.body())
                    .readNBytes(1 << 20);
        }
        // The certificates the signature carries; only one for the From address, valid here, is learned.
        List<X509Certificate> carried = new ArrayList<>();
        try (InputStream content = new java.io.ByteArrayInputStream(new byte[0])) {
            CMSSignedDataParser sp = new CMSSignedDataParser(new JcaDigestCalculatorProviderBuilder().build(), new CMSTypedStream(content), signature);
            sp.getSignedContent().drain();
            for (Object o : sp.getCertificates().getMatches(null)) {
                carried.add(new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o));
            }
        }
        List<X509Certificate> forFrom = carried.stream().filter(c -> SmimeCerts.emails(c).stream().anyMatch(e -> e.equalsIgnoreCase(from))).toList();
        if (forFrom.isEmpty()) {
            return;
        }
        SmimeVerifier.Result r;
        try (InputStream in = item.openBody()) {
            r = SmimeVerifier.verify(MimeParts.openRaw(in, boundary, 1), signature, forFrom);
        }
        if (r.signer() == null) {
            log.info("{}: S/MIME signature of <{}> does not verify; its certificate is not learned", item.queueId(), from);
            return;
        }
        List<X509Certificate> chain = carried.stream().filter(SmimeCerts::isCa).toList();
        book.learnSmime(from, r.signer(), chain); // throws with the reason if not usable; bound to the From address only
        log.info("{}: learned S/MIME certificate {} for <{}> from its signature", item.queueId(), SmimeCerts.fingerprint(r.signer()), from);
    }

    static String fromAddress(RawHeader h) {
        String v = h.value("From");
        if (v == null) {
            return null;
        }
        try {
            InternetAddress[] as = InternetAddress.parseHeader(v, false);
            return as.length == 1 && as[0].getAddress() != null ? Address.normalise(as[0].getAddress()) : null;
        } catch (jakarta.mail.internet.AddressException e) {
            return null;
        }
    }
}
