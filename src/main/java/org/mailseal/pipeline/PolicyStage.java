package org.mailseal.pipeline;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.RawHeader;
import org.mailseal.policy.Decider;
import org.mailseal.policy.Encryption;
import org.mailseal.policy.RecipientDecider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per recipient, whether and to which key the message is encrypted, and splits the
 * recipients into groups accordingly, with the decider MailFlow gives it for its lane: inbound
 * recipients by the local policy ({@link RecipientDecider}), outbound ones by the remote recipient's
 * known keys ({@link org.mailseal.policy.OutboundDecider}). With {@link Copies#PER_BCC}, recipients named
 * in To/Cc share one encrypted copy and every other envelope recipient (Bcc, aliases) gets a copy of its
 * own, so the key ids in the message do not reveal them; with {@link Copies#ONE} (the milter, which
 * cannot split a message) they share one copy per form. Mail that is already encrypted passes untouched.
 */
public final class PolicyStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger("policy");

    /** How many encrypted copies a message becomes. */
    public enum Copies {
        /** To/Cc share a copy; each Bcc recipient gets its own (the content filter, the relay can split). */
        PER_BCC,
        /** One copy per form (the milter: the MTA delivers one message to all its recipients). */
        ONE
    }

    private final Decider decider;
    private final Copies copies;

    public PolicyStage(Decider decider, Copies copies) {
        this.decider = decider;
        this.copies = copies;
    }

    @Override
    public String name() {
        return "policy";
    }

    @Override
    public Routing apply(MailItem item) throws Exception {
        List<Recipient> inbound = item.recipients();
        Routing routing = new Routing();
        RawHeader header;
        EncryptionDetector.Kind kind;
        try (InputStream in = item.openBody()) {
            header = item.header();
            kind = EncryptionDetector.detect(header, in);
        } catch (RawHeader.TooLargeException e) {
            return routing.reject(item.withRecipients(inbound), Outcome.HEADER_TOO_LARGE);
        }
        if (kind != EncryptionDetector.Kind.NONE) {
            log.info("{}: already encrypted ({}); passed through untouched for {}", item.queueId(), kind.name().toLowerCase(Locale.ROOT), inbound);
            return routing.proceedWith(item.withRecipients(inbound).withTreatment(new Treatment.AlreadyEncrypted(kind.name())));
        }
        Set<String> named = named(header);
        List<Recipient> plain = new ArrayList<>();
        Map<String, List<Encryption.Keyed>> pgpGroups = new LinkedHashMap<>();
        Map<String, List<Encryption.Certified>> smimeGroups = new LinkedHashMap<>();
        Map<String, org.mailseal.mime.OuterHeader> placeholders = new LinkedHashMap<>();
        Map<String, Boolean> gcm = new LinkedHashMap<>();
        for (Recipient r : inbound) {
            String email = Address.normalise(r.address().toString());
            RecipientDecider.Decision d = decider.decide(item.queueId(), r.address(), item.secureRequested());
            // Recipients named in To/Cc share a copy (per method and placeholder); the others get one each.
            boolean shared = copies == Copies.ONE || named.contains(email);
            String group = d.groupKey() + "|" + (shared ? "shared" : "own|" + r.index());
            if (d instanceof RecipientDecider.Plain) {
                plain.add(r);
            } else if (d instanceof RecipientDecider.Refuse f) {
                routing.add(item.withRecipients(List.of(r)), f.reply().isTransient() ? Outcome.defer(f.reply()) : Outcome.reject(f.reply()));
            } else if (d instanceof RecipientDecider.Pgp g) {
                pgpGroups.computeIfAbsent(group, k -> new ArrayList<>()).add(new Encryption.Keyed(r, g.cert(), g.why()));
                placeholders.put(group, g.outer());
            } else if (d instanceof RecipientDecider.Pdf f) {
                routing.proceedWith(item.withRecipients(List.of(r)).withTreatment(new Encryption.Pdf(r, f.why(), f.password())));
            } else if (d instanceof RecipientDecider.Smime m) {
                smimeGroups.computeIfAbsent(group, k -> new ArrayList<>()).add(new Encryption.Certified(r, m.cert(), m.why()));
                placeholders.put(group, m.outer());
                gcm.put(group, m.gcm());
            } else {
                throw new IllegalStateException("no route for the decision " + d); // never drop a recipient unseen
            }
        }
        if (!plain.isEmpty()) {
            routing.proceedWith(item.withRecipients(plain).withTreatment(new Treatment.Pass("policy")));
        }
        for (Map.Entry<String, List<Encryption.Keyed>> g : pgpGroups.entrySet()) {
            List<Recipient> rs = g.getValue().stream().map(Encryption.Keyed::recipient).toList();
            routing.proceedWith(item.withRecipients(rs).withTreatment(new Encryption.Pgp(g.getValue(), placeholders.get(g.getKey()))));
        }
        for (Map.Entry<String, List<Encryption.Certified>> g : smimeGroups.entrySet()) {
            List<Recipient> rs = g.getValue().stream().map(Encryption.Certified::recipient).toList();
            routing.proceedWith(item.withRecipients(rs).withTreatment(
                    new Encryption.Smime(g.getValue(), placeholders.get(g.getKey()), gcm.get(g.getKey()))));
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
                        out.add(Address.normalise(a.getAddress()));
                    }
                }
            } catch (AddressException e) {
                // unparseable: those recipients are treated as not named (own copy), the safe side
            }
        }
        return out;
    }
}
