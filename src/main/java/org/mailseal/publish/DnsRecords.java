package org.mailseal.publish;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.DkimKeys;

/**
 * Zone-file lines a local domain publishes for mail to find it and its users' keys (comments start with
 * {@code ;}, so the output loads into a zone as it is):
 * <ul>
 * <li>DKIM keys ({@code mailseal dkim}), published, signing and retired;</li>
 * <li>OPENPGPKEY per address (RFC 7929 §3): owner {@code <hex of the first 28 octets of SHA-256(local part)>._openpgpkey.<domain>},
 * data the key, reduced to the address's user ID, base64;</li>
 * <li>SMIMEA per address (RFC 8162 §3): the same hash under {@code _smimecert}, usage 3 (DANE-EE), selector 0
 * (the whole certificate), matching type 0 (exact);</li>
 * <li>TLSA for the gateway's SMTP certificate (RFC 7672 §3.1.1: DANE-EE(3) SPKI(1) SHA-256(1)) at
 * {@code _25._tcp.<hostname>};</li>
 * <li>the Web Key Directory host {@code openpgpkey.<domain>};</li>
 * <li>MTA-STS (RFC 8461 §3.1): the {@code _mta-sts} TXT record and the {@code mta-sts.<domain>} host, when a
 * policy is published ({@code mtaSts.mode});</li>
 * <li>TLS reporting (RFC 8460 §3): the {@code _smtp._tls} TXT record.</li>
 * </ul>
 * OPENPGPKEY, SMIMEA and TLSA count only in a DNSSEC-signed zone.
 */
public final class DnsRecords {

    private DnsRecords() {
    }

    /** An address's key and certificates as the store has them. */
    public record Address(String email, List<PGPPublicKeyRing> pgp, List<X509Certificate> smime) {
    }

    /** The owner-name label for {@code localPart} (RFC 7929 §3, RFC 8162 §3): SHA-256, first 28 octets, hex. */
    public static String hashLabel(String localPart) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(localPart.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 28);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The lines for a local domain from the store: its DKIM keys, and each address of the domain that has an
     * OpenPGP key or an S/MIME certificate. One place for {@code mailseal dns-records} and the API.
     */
    public static List<String> forDomain(String domain, org.mailseal.config.MailsealConfig cfg, javax.sql.DataSource ds, X509Certificate tls,
                                         int smtpPort) throws Exception {
        String d = domain.toLowerCase(Locale.ROOT).strip();
        if (!cfg.domains().local().contains(d)) {
            throw new IllegalArgumentException(d + " is not a local domain (domains.local)");
        }
        org.mailseal.keys.PgpKeyStore pgp = new org.mailseal.keys.PgpKeyStore(ds);
        org.mailseal.keys.SmimeStore smime = new org.mailseal.keys.SmimeStore(ds);
        java.util.Set<String> emails = new java.util.TreeSet<>(pgp.addressesIn(d));
        for (org.mailseal.keys.SmimeStore.Entry e : smime.list(null)) {
            e.emails().stream().filter(x -> x.endsWith("@" + d)).forEach(emails::add);
        }
        List<Address> addresses = new ArrayList<>();
        for (String email : emails) {
            addresses.add(new Address(email, pgp.certsFor(email), smime.certsFor(email)));
        }
        return lines(d, cfg.hostname(), new DkimKeys(ds).list(d), addresses, tls, smtpPort,
                cfg.mtaSts().published() ? MtaStsPublication.of(cfg.mtaSts(), cfg.hostname()) : null);
    }

    public static List<String> lines(String domain, String hostname, List<DkimKeys.Entry> dkim, List<Address> addresses,
                                     X509Certificate smtpCertificate) throws Exception {
        return lines(domain, hostname, dkim, addresses, smtpCertificate, 25, null);
    }

    /**
     * {@code smtpPort}: where senders reach the gateway (25, another only in labs); {@code mtaSts}: the
     * published MTA-STS policy, or null.
     */
    public static List<String> lines(String domain, String hostname, List<DkimKeys.Entry> dkim, List<Address> addresses,
                                     X509Certificate smtpCertificate, int smtpPort, MtaStsPublication mtaSts) throws Exception {
        String d = domain.toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        out.add("; mailseal dns-records for " + d + " (OPENPGPKEY, SMIMEA and TLSA need a DNSSEC-signed zone)");
        out.add("; DKIM (RFC 6376)");
        for (DkimKeys.Entry e : dkim) {
            out.add(txt(e.dnsName() + ".", e.record()) + " ; " + e.state().name().toLowerCase(Locale.ROOT));
        }
        out.add("; Web Key Directory host (draft-koch-openpgp-webkey-service): point it at the WKD listener");
        out.add("openpgpkey." + d + ". 3600 IN CNAME " + hostname.toLowerCase(Locale.ROOT) + ".");
        out.add("; TLSA for the gateway's SMTP certificate (RFC 7672), in the zone of " + hostname.toLowerCase(Locale.ROOT));
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(smtpCertificate.getPublicKey().getEncoded());
        out.add("_" + smtpPort + "._tcp." + hostname.toLowerCase(Locale.ROOT) + ". 3600 IN TLSA 3 1 1 " + HexFormat.of().formatHex(spki));
        if (mtaSts != null) {
            out.add("; MTA-STS (RFC 8461 §3.1): the policy is served at https://mta-sts." + d + "/.well-known/mta-sts.txt by the wkd: listener");
            out.add("mta-sts." + d + ". 3600 IN CNAME " + hostname.toLowerCase(Locale.ROOT) + ".");
            out.add(txt("_mta-sts." + d + ".", mtaSts.txt()));
        }
        out.add("; SMTP TLS reporting (RFC 8460 §3): where senders mail their daily TLS reports; change the address as needed");
        out.add(txt("_smtp._tls." + d + ".", "v=TLSRPTv1; rua=mailto:postmaster@" + d));
        for (Address a : addresses) {
            String local = a.email().substring(0, a.email().lastIndexOf('@'));
            String label = hashLabel(local);
            for (PGPPublicKeyRing ring : a.pgp()) {
                try {
                    PgpKeys.validate(ring, a.email(), Instant.now());
                } catch (org.mailseal.crypto.KeyStoreException unusable) {
                    continue;
                }
                out.add("; OPENPGPKEY for <" + a.email() + "> " + PgpKeys.fingerprint(ring.getPublicKey()) + " (RFC 7929)");
                out.add(label + "._openpgpkey." + d + ". 3600 IN OPENPGPKEY ( " + wrap(Base64.getEncoder().encodeToString(
                        org.mailseal.wkd.WkdDirectory.onlyUserId(ring, a.email()).getEncoded())) + " )");
            }
            for (X509Certificate c : a.smime()) {
                try {
                    c.checkValidity();
                } catch (java.security.cert.CertificateException expired) {
                    continue;
                }
                out.add("; SMIMEA for <" + a.email() + "> " + c.getSubjectX500Principal().getName() + " (RFC 8162)");
                out.add(label + "._smimecert." + d + ". 3600 IN SMIMEA 3 0 0 ( " + wrap(HexFormat.of().formatHex(c.getEncoded())) + " )");
            }
        }
        return out;
    }

    private static String txt(String owner, String value) {
        StringBuilder b = new StringBuilder(owner).append(" 3600 IN TXT (");
        for (int i = 0; i < value.length(); i += 250) {
            b.append(" \"").append(value, i, Math.min(value.length(), i + 250)).append('"');
        }
        return b.append(" )").toString();
    }

    private static String wrap(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i += 64) {
            b.append(i == 0 ? "" : "\n    ").append(s, i, Math.min(s.length(), i + 64));
        }
        return b.toString();
    }
}
