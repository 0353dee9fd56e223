package org.mailseal.pipeline;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.keys.KeyStoreException;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.EncryptMode;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per inbound recipient, whether and to which key the message is encrypted, and splits the
 * recipients into groups accordingly. Recipients named in To/Cc share one encrypted copy; every other
 * envelope recipient (Bcc, aliases) gets a copy of its own, so the key ids in the message do not
 * reveal them. Mail that is already encrypted passes untouched. Outbound recipients pass.
 */
public final class PolicyStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("policy");
    static final int MAX_HEADER = 4 * 1024 * 1024;

    private final PolicyResolver resolver;
    private final KeyDirectory keys;
    private final CertDirectory certs;

    public PolicyStage(PolicyResolver resolver, KeyDirectory keys, CertDirectory certs) {
        this.resolver = resolver;
        this.keys = keys;
        this.certs = certs;
    }

    /** The key chosen for one recipient: an OpenPGP key or an S/MIME certificate. */
    private record Choice(PgpKeys.ValidCert pgp, CertDirectory.ValidCert smime) {
        boolean isEmpty() {
            return pgp == null && smime == null;
        }
    }

    /**
     * Method choice: {@code method} limits it to openpgp or smime, or allows any; with both available,
     * {@code preferredMethod} decides.
     */
    private Choice choose(String email, PolicyResolver.Effective p) throws Exception {
        Optional<PgpKeys.ValidCert> pgp = p.method().equals("smime") ? Optional.empty() : keys.find(email);
        Optional<CertDirectory.ValidCert> smime = p.method().equals("openpgp") ? Optional.empty() : certs.find(email);
        if (pgp.isPresent() && smime.isPresent()) {
            return p.get("preferredMethod").equals("smime") ? new Choice(null, smime.get()) : new Choice(pgp.get(), null);
        }
        return new Choice(pgp.orElse(null), smime.orElse(null));
    }

    /** onMissingKey=generate: an OpenPGP key, or a certificate from the built-in CA, as the policy says. */
    private Choice generate(String email, PolicyResolver.Effective p) throws Exception {
        String method = p.method().equals("any") ? p.get("generateMethod") : p.method();
        return method.equals("smime") ? new Choice(null, certs.issue(email, null, null)) : new Choice(keys.generate(email), null);
    }

    @Override
    public String name() {
        return "policy";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        List<Recipient> inbound = item.recipients().stream().filter(r -> r.direction() == Direction.INBOUND).toList();
        List<Recipient> outbound = item.recipients().stream().filter(r -> r.direction() != Direction.INBOUND).toList();
        Routing routing = new Routing();
        if (!outbound.isEmpty()) {
            routing.proceedWith(item.withRecipients(outbound).withTreatment(new Treatment.Pass("outbound")));
        }
        if (inbound.isEmpty()) {
            return routing;
        }
        RawHeader header;
        EncryptionDetector.Kind kind;
        try (InputStream in = new BufferedInputStream(item.open(), 65536)) {
            header = RawHeader.read(in, MAX_HEADER);
            kind = EncryptionDetector.detect(header, in);
        } catch (RawHeader.TooLargeException e) {
            return routing.reject(item.withRecipients(inbound), SmtpReply.of(552, "5.3.4", "Error: message header exceeds " + MAX_HEADER + " bytes"));
        }
        if (kind != EncryptionDetector.Kind.NONE) {
            log.info("{}: already encrypted ({}); passed through untouched for {}", item.queueId(), kind.name().toLowerCase(Locale.ROOT), inbound);
            return routing.proceedWith(item.withRecipients(inbound).withTreatment(new Treatment.Pass("already encrypted")));
        }
        Set<String> named = named(header);
        List<Recipient> plain = new ArrayList<>();
        Map<String, List<Treatment.Keyed>> pgpGroups = new LinkedHashMap<>();
        Map<String, List<Treatment.Certified>> smimeGroups = new LinkedHashMap<>();
        Map<String, String> placeholders = new LinkedHashMap<>();
        Map<String, Boolean> gcm = new LinkedHashMap<>();
        for (Recipient r : inbound) {
            String email = PgpKeys.normalise(r.address().toString());
            PolicyResolver.Effective p = resolver.resolve(r.address());
            String why = "encrypt=" + p.encrypt().word() + " from " + p.source("encrypt");
            if (p.encrypt() == EncryptMode.NEVER) {
                log.info("{}: to=<{}>, not encrypted: {}", item.queueId(), r.address(), why);
                plain.add(r);
                continue;
            }
            Choice cert = choose(email, p);
            if (cert.isEmpty() && p.encrypt() == EncryptMode.OPPORTUNISTIC) {
                log.info("{}: to=<{}>, not encrypted: no usable key ({})", item.queueId(), r.address(), why);
                plain.add(r);
                continue;
            }
            if (cert.isEmpty()) {
                String missing = "onMissingKey=" + p.onMissingKey().word() + " from " + p.source("onMissingKey");
                MailItem one = item.withRecipients(List.of(r));
                switch (p.onMissingKey()) {
                    case TEMPFAIL -> {
                        log.info("{}: to=<{}>, deferred: no usable key ({}, {})", item.queueId(), r.address(), why, missing);
                        routing.defer(one, SmtpReply.of(450, "4.7.1", "<" + r.address() + ">: no usable encryption key; encryption is mandatory"));
                        continue;
                    }
                    case REJECT -> {
                        log.info("{}: to=<{}>, rejected: no usable key ({}, {})", item.queueId(), r.address(), why, missing);
                        routing.reject(one, SmtpReply.of(550, "5.7.1", "<" + r.address() + ">: no usable encryption key; encryption is mandatory"));
                        continue;
                    }
                    case DELIVER -> {
                        log.warn("{}: to=<{}>, NOT encrypted: no usable key and {} ({})", item.queueId(), r.address(), missing, why);
                        plain.add(r);
                        continue;
                    }
                    case GENERATE -> {
                        try {
                            cert = generate(email, p);
                            why += ", key generated (" + missing + ")";
                        } catch (KeyStoreException e) {
                            // Fail closed: mandatory encryption and no key: 4xx, never plaintext.
                            log.error("{}: to=<{}>, deferred: {}", item.queueId(), r.address(), e.getMessage());
                            routing.defer(one, SmtpReply.of(451, "4.7.5", "<" + r.address() + ">: cannot create an encryption key; try again later"));
                            continue;
                        }
                    }
                    default -> throw new IllegalStateException();
                }
            }
            // Recipients named in To/Cc share a copy (per method and placeholder); the others get one each.
            String share = named.contains(email) ? "shared" : "own|" + r.index();
            if (cert.pgp() != null) {
                log.info("{}: to=<{}>, encrypt: OpenPGP key {} ({})", item.queueId(), r.address(), cert.pgp().fingerprint(), why);
                String group = "pgp|" + share + "|" + p.subjectPlaceholder();
                pgpGroups.computeIfAbsent(group, g -> new ArrayList<>()).add(new Treatment.Keyed(r, cert.pgp(), why));
                placeholders.put(group, p.subjectPlaceholder());
            } else {
                log.info("{}: to=<{}>, encrypt: S/MIME certificate {} ({})", item.queueId(), r.address(), cert.smime().fingerprint(), why);
                String group = "smime|" + share + "|" + p.subjectPlaceholder() + "|" + p.smimeGcm();
                smimeGroups.computeIfAbsent(group, g -> new ArrayList<>()).add(new Treatment.Certified(r, cert.smime(), why));
                placeholders.put(group, p.subjectPlaceholder());
                gcm.put(group, p.smimeGcm());
            }
        }
        if (!plain.isEmpty()) {
            routing.proceedWith(item.withRecipients(plain).withTreatment(new Treatment.Pass("policy")));
        }
        for (Map.Entry<String, List<Treatment.Keyed>> g : pgpGroups.entrySet()) {
            List<Recipient> rs = g.getValue().stream().map(Treatment.Keyed::recipient).toList();
            routing.proceedWith(item.withRecipients(rs).withTreatment(new Treatment.EncryptPgp(g.getValue(), placeholders.get(g.getKey()))));
        }
        for (Map.Entry<String, List<Treatment.Certified>> g : smimeGroups.entrySet()) {
            List<Recipient> rs = g.getValue().stream().map(Treatment.Certified::recipient).toList();
            routing.proceedWith(item.withRecipients(rs).withTreatment(
                    new Treatment.EncryptSmime(g.getValue(), placeholders.get(g.getKey()), gcm.get(g.getKey()))));
        }
        return routing;
    }

    /** Addresses in To and Cc (RFC 5322 §3.6.3), lower-cased domain. */
    static Set<String> named(RawHeader h) {
        Set<String> out = new HashSet<>();
        for (RawHeader.Field f : h.fields()) {
            if (!f.is("To") && !f.is("Cc")) {
                continue;
            }
            try {
                for (InternetAddress a : InternetAddress.parseHeader(f.value(), false)) {
                    if (a.getAddress() != null) {
                        out.add(PgpKeys.normalise(a.getAddress()));
                    }
                }
            } catch (AddressException e) {
                // unparseable: those recipients are treated as not named (own copy), the safe side
            }
        }
        return out;
    }
}
