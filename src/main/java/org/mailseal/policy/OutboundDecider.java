package org.mailseal.policy;

import java.util.List;
import java.util.Optional;
import org.mailseal.config.CryptoMethod;
import org.mailseal.config.Outbound;
import org.mailseal.config.Pdf;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.mail.Address;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encryption decision for one outbound recipient (a remote address): encrypt when its OpenPGP key
 * or S/MIME certificate is known (imported, or harvested from its mail), per the recipient domain's
 * mode in {@code outbound}: {@code opportunistic}, {@code mandatory} (no key: rejected, so nothing
 * leaves in plaintext and the sender learns why) or {@code never}. Keys are never generated for remote
 * recipients. The order is OpenPGP, S/MIME (or the other way, per preferred method), then the PDF where
 * {@code pdf.fallback} is on and the recipient has a PDF password, then reject (mandatory) or plain.
 * A domain in {@code pdf.forceDomains} gets the PDF whatever keys are known.
 */
public final class OutboundDecider implements Decider {

    private static final Logger log = LoggerFactory.getLogger("policy");

    /** Whether a recipient has a PDF password. */
    public interface PdfPasswordKnown {
        boolean test(String email) throws Exception;
    }

    private final Outbound outbound;
    private final PolicyResolver resolver;
    private final KeyDirectory keys;
    private final CertDirectory certs;
    private final Pdf pdf;
    private final PdfPasswordKnown pdfPassword;
    /** A PDF can be made for a recipient without a password of its own (derived, or generated where it can be sent). */
    private final boolean noPasswordNeeded;
    private final KeyDiscovery discovery;

    /** {@code generate}: whether this entry point can send a generated PDF password to the sender (not the milter). */
    public OutboundDecider(Outbound outbound, PolicyResolver resolver, KeyDirectory keys, CertDirectory certs, Pdf pdf, PdfPasswordKnown pdfPassword,
                           boolean generate) {
        this(outbound, resolver, keys, certs, pdf, pdfPassword, generate, KeyDiscovery.NONE);
    }

    /** {@code discovery}: where keys not in the store are looked for (the Web Key Directory). */
    public OutboundDecider(Outbound outbound, PolicyResolver resolver, KeyDirectory keys, CertDirectory certs, Pdf pdf, PdfPasswordKnown pdfPassword,
                           boolean generate, KeyDiscovery discovery) {
        this.discovery = discovery;
        this.outbound = outbound;
        this.resolver = resolver;
        this.keys = keys;
        this.certs = certs;
        this.pdf = pdf;
        this.pdfPassword = pdfPassword;
        this.noPasswordNeeded = pdf.derivePasswords() || generate && pdf.generatePasswords();
    }

    @Override
    public RecipientDecider.Decision decide(String queueId, Address rcpt) throws Exception {
        return decide(queueId, rcpt, false);
    }

    /** {@code secureRequested}: the sender asked for encryption (subject trigger): as mandatory, with the PDF allowed. */
    @Override
    public RecipientDecider.Decision decide(String queueId, Address rcpt, boolean secureRequested) throws Exception {
        return decide(queueId, rcpt, secureRequested, false);
    }

    /** What {@link #decide} would do now, without doing it: a key discovered for a pinned domain is compared, not pinned. */
    public RecipientDecider.Decision preview(Address rcpt) throws Exception {
        return decide("preview", rcpt, false, true);
    }

    private RecipientDecider.Decision decide(String queueId, Address rcpt, boolean secureRequested, boolean preview) throws Exception {
        String email = Address.normalise(rcpt.toString());
        String mode = secureRequested ? "mandatory" : outbound.encryptFor(rcpt.domainLower());
        String why = secureRequested ? "encryption requested in the Subject"
                : "outbound encrypt=" + mode + (outbound.recipientDomains().containsKey(rcpt.domainLower()) ? " for " + rcpt.domainLower() : "");
        PolicyResolver.Effective p = resolver.resolve(rcpt);
        String pdfPolicy = p.get("pdf"); // fallback | never | force, per recipient (policy set --email)
        if (pdf.forced(email, rcpt.domainLower()) || pdfPolicy.equals("force")) {
            // Forced: the PDF whatever keys are known; without a password nothing can be sent (fail closed).
            boolean stored = pdfPassword.test(email);
            if (stored || noPasswordNeeded) {
                String forced = pdfPolicy.equals("force") ? "pdf=force from " + p.source("pdf") : "pdf.forceDomains";
                log.info("{}: to=<{}>, encrypt: PDF ({})", queueId, rcpt, forced);
                return pdfFor(email, forced, stored);
            }
            log.info("{}: to=<{}>, rejected: PDF required for {} and no PDF password set", queueId, rcpt, rcpt.domainLower());
            return new RecipientDecider.Refuse(SmtpReply.of(550, "5.7.1",
                    "<" + rcpt + ">: mail to " + rcpt.domainLower() + " is sent as an encrypted PDF, and no PDF password is set for this recipient"));
        }
        if (mode.equals("never")) {
            log.info("{}: to=<{}>, not encrypted: {}", queueId, rcpt, why);
            return new RecipientDecider.Plain(why);
        }
        boolean smimeFirst = p.preferredMethod() == CryptoMethod.SMIME;
        for (String m : smimeFirst ? List.of("smime", "openpgp") : List.of("openpgp", "smime")) {
            if (m.equals("openpgp")) {
                Optional<PgpKeys.ValidCert> k = keys.find(email);
                if (k.isPresent()) {
                    log.info("{}: to=<{}>, encrypt: OpenPGP key {} ({})", queueId, rcpt, k.get().fingerprint(), why);
                    return new RecipientDecider.Pgp(k.get(), p.outerHeader(), why);
                }
            } else {
                Optional<CertDirectory.ValidCert> c = certs.find(email);
                if (c.isPresent()) {
                    log.info("{}: to=<{}>, encrypt: S/MIME certificate {} ({})", queueId, rcpt, c.get().fingerprint(), why);
                    return new RecipientDecider.Smime(c.get(), p.outerHeader(), p.smimeGcm(), why);
                }
            }
        }
        // Not in the store: discovery (WKD, OPENPGPKEY, SMIMEA). A failed lookup is never "no key": where
        // encryption is mandatory the recipient is deferred (4xx), never sent plain.
        KeyDiscovery.Result found = discovery.lookup(email);
        if (found.status() == KeyDiscovery.Status.FOUND) {
            String fpr = found.cert() != null ? found.cert().fingerprint() : org.mailseal.crypto.smime.SmimeCerts.fingerprint(found.smime());
            if (mode.equals("pinned")) {
                KeyDiscovery.Pin pin;
                try {
                    pin = preview ? discovery.pinned(email, fpr) : discovery.pin(email, fpr, found.source());
                } catch (java.io.IOException e) {
                    log.warn("{}: to=<{}>, deferred: pin store: {}", queueId, rcpt, e.getMessage());
                    return new RecipientDecider.Refuse(SmtpReply.of(451, "4.7.0", "<" + rcpt + ">: key pin could not be checked; try again later"));
                }
                if (pin == KeyDiscovery.Pin.CHANGED) {
                    log.warn("{}: to=<{}>, deferred: key {} from {} differs from the pinned key; the admin must accept it (mailseal keys pin-accept {})",
                            queueId, rcpt, fpr, found.source(), email);
                    return new RecipientDecider.Refuse(SmtpReply.of(451, "4.7.0",
                            "<" + rcpt + ">: the recipient's key changed and waits for the administrator; try again later"));
                }
                why = why + ", pin " + (pin == KeyDiscovery.Pin.PINNED_NOW ? "set" : "matches");
            }
            if (found.cert() != null) {
                log.info("{}: to=<{}>, encrypt: OpenPGP key {} from {} ({})", queueId, rcpt, fpr, found.source(), why);
                return new RecipientDecider.Pgp(found.cert(), p.outerHeader(), why + ", key " + fpr + " from " + found.source());
            }
            log.info("{}: to=<{}>, encrypt: S/MIME certificate {} from {} ({})", queueId, rcpt, fpr, found.source(), why);
            return new RecipientDecider.Smime(new CertDirectory.ValidCert(found.smime(), fpr), p.outerHeader(), p.smimeGcm(),
                    why + ", certificate " + fpr + " from " + found.source());
        }
        boolean mustEncrypt = mode.equals("mandatory") || mode.equals("pinned");
        if (found.status() == KeyDiscovery.Status.TEMPFAIL && mustEncrypt) {
            log.info("{}: to=<{}>, deferred: key lookup failed ({}) and encryption is mandatory ({})", queueId, rcpt, found.reason(), why);
            return new RecipientDecider.Refuse(SmtpReply.of(451, "4.7.0",
                    "<" + rcpt + ">: the recipient's key could not be looked up; try again later"));
        }
        // No key, but a PDF password (pdf.fallback), before mandatory/opportunistic decide.
        if ((pdf.fallback() || secureRequested) && !pdfPolicy.equals("never")) {
            boolean stored = pdfPassword.test(email);
            if (stored || noPasswordNeeded) {
                log.info("{}: to=<{}>, encrypt: PDF, no known key ({})", queueId, rcpt, why);
                return pdfFor(email, why + ", no known key", stored);
            }
        }
        if (mustEncrypt) {
            log.info("{}: to=<{}>, rejected: no known key ({}; discovery: {})", queueId, rcpt, why, found.reason());
            return new RecipientDecider.Refuse(SmtpReply.of(550, "5.7.1",
                    "<" + rcpt + ">: no OpenPGP key or S/MIME certificate known; encryption to " + rcpt.domainLower() + " is mandatory"));
        }
        log.info("{}: to=<{}>, not encrypted: no known key ({}; discovery: {})", queueId, rcpt, why, found.reason());
        return new RecipientDecider.Plain(why + ", no known key");
    }

    /** The recipient's own PDF password when set, else a derived one, else (where allowed) a generated one. */
    private RecipientDecider.Pdf pdfFor(String email, String why, boolean stored) {
        PdfPassword source = stored ? PdfPassword.RECIPIENT : pdf.derivePasswords() ? PdfPassword.DERIVED : PdfPassword.GENERATED;
        return new RecipientDecider.Pdf(email, why + ", PDF password: " + source.name().toLowerCase(java.util.Locale.ROOT), source);
    }
}
