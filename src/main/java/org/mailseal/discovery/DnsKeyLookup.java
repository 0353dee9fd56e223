package org.mailseal.discovery;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.dns.DnsResolver;
import org.mailseal.policy.KeyDiscovery;
import org.mailseal.publish.DnsRecords;
import org.mailseal.wkd.WkdDirectory;
import org.xbill.DNS.OPENPGPKEYRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SMIMEARecord;
import org.xbill.DNS.Type;

/**
 * Keys published in the DNS: OPENPGPKEY (RFC 7929 §3) and SMIMEA (RFC 8162 §3), at
 * {@code <hex of the first 28 octets of SHA-256(local part)>._openpgpkey.<domain>} and {@code ._smimecert.}.
 * Only a DNSSEC-secure answer counts (RFC 7929 §7: without it anyone on the path could supply a key);
 * an insecure one is "no key", a failed or bogus one is a temporary failure. A key found is validated like
 * an imported one: an OpenPGP key must carry the address as a user ID (and is reduced to it); an SMIMEA
 * certificate must be DANE-EE (usage 3, whole certificate, exact match), name the address, be in its
 * validity period and allow encryption.
 */
public final class DnsKeyLookup implements KeyDiscovery {

    public enum Kind { OPENPGPKEY, SMIMEA }

    private final DnsResolver dns;
    private final Kind kind;

    public DnsKeyLookup(DnsResolver dns, Kind kind) {
        this.dns = dns;
        this.kind = kind;
    }

    @Override
    public Result lookup(String email) {
        if (!dns.validating()) {
            return new Result(Status.NONE, null, null, kind + ": dns.dnssec is off");
        }
        int at = email.lastIndexOf('@');
        String name = DnsRecords.hashLabel(email.substring(0, at)) + (kind == Kind.OPENPGPKEY ? "._openpgpkey." : "._smimecert.")
                + email.substring(at + 1);
        DnsResolver.Answer<Record> a = dns.lookup(name, kind == Kind.OPENPGPKEY ? Type.OPENPGPKEY : Type.SMIMEA);
        String source = kind + " " + name;
        if (a.status() == DnsResolver.Status.TEMPERROR) {
            return new Result(Status.TEMPFAIL, null, source, a.reason());
        }
        if (a.status() == DnsResolver.Status.NONE) {
            return new Result(Status.NONE, null, source, a.reason());
        }
        if (!a.secure()) {
            return new Result(Status.NONE, null, source, "answer not DNSSEC-secure: ignored");
        }
        String why = "no usable key";
        for (Record r : a.records()) {
            try {
                if (r instanceof OPENPGPKEYRecord k) {
                    var key = WkdDirectory.firstUsable(k.getCert(), email);
                    if (key.isPresent()) {
                        return new Result(Status.FOUND, key.get(), source + " (DNSSEC)", null);
                    }
                    why = "no valid key with the user ID <" + email + ">";
                } else if (r instanceof SMIMEARecord s) {
                    if (s.getCertificateUsage() != 3 || s.getSelector() != 0 || s.getMatchingType() != 0) {
                        why = "SMIMEA " + s.getCertificateUsage() + " " + s.getSelector() + " " + s.getMatchingType() + " does not carry a usable certificate";
                        continue;
                    }
                    X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(s.getCertificateAssociationData()));
                    SmimeCerts.validateUse(c, email, Instant.now());
                    return new Result(Status.FOUND, null, c, source + " (DNSSEC)", null);
                }
            } catch (KeyStoreException e) {
                why = e.getMessage();
            } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
                why = "unreadable: " + e.getMessage();
            }
        }
        return new Result(Status.NONE, null, source, why);
    }
}
