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

    public PolicyStage(PolicyResolver resolver, KeyDirectory keys) {
        this.resolver = resolver;
        this.keys = keys;
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
        Map<String, List<Treatment.Keyed>> shared = new LinkedHashMap<>();
        Map<String, String> placeholders = new LinkedHashMap<>();
        for (Recipient r : inbound) {
            String email = PgpKeys.normalise(r.address().toString());
            PolicyResolver.Effective p = resolver.resolve(r.address());
            String why = "encrypt=" + p.encrypt().word() + " from " + p.source("encrypt");
            if (p.encrypt() == EncryptMode.NEVER) {
                log.info("{}: to=<{}>, not encrypted: {}", item.queueId(), r.address(), why);
                plain.add(r);
                continue;
            }
            Optional<PgpKeys.ValidCert> cert = keys.find(email);
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
                            cert = Optional.of(keys.generate(email));
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
            PgpKeys.ValidCert c = cert.get();
            log.info("{}: to=<{}>, encrypt: OpenPGP key {} ({})", item.queueId(), r.address(), c.fingerprint(), why);
            Treatment.Keyed k = new Treatment.Keyed(r, c, why);
            // Recipients named in To/Cc share a copy (per placeholder); the others get one each.
            String group = named.contains(email) ? "shared|" + p.subjectPlaceholder() : "own|" + r.index();
            shared.computeIfAbsent(group, g -> new ArrayList<>()).add(k);
            placeholders.put(group, p.subjectPlaceholder());
        }
        if (!plain.isEmpty()) {
            routing.proceedWith(item.withRecipients(plain).withTreatment(new Treatment.Pass("policy")));
        }
        for (Map.Entry<String, List<Treatment.Keyed>> g : shared.entrySet()) {
            List<Recipient> rs = g.getValue().stream().map(Treatment.Keyed::recipient).toList();
            routing.proceedWith(item.withRecipients(rs).withTreatment(new Treatment.EncryptPgp(g.getValue(), placeholders.get(g.getKey()))));
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
