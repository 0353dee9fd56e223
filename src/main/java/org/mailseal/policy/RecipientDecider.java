package org.mailseal.policy;

import java.util.List;
import java.util.Optional;
import org.mailseal.config.CryptoMethod;
import org.mailseal.config.EncryptMode;
import org.mailseal.config.GenerateFor;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.mail.Address;
import org.mailseal.mime.OuterHeader;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encryption decision for one inbound recipient: the effective policy, then the key (OpenPGP or
 * S/MIME, per {@code method} and {@code preferredMethod}), then, without a key, {@code onMissingKey}.
 * Used by the pipeline's policy stage and by the milter. Logs one line per decision with the queue id.
 */
public final class RecipientDecider implements Decider {

    private static final Logger log = LoggerFactory.getLogger("policy");

    /** What to do for one recipient. */
    public sealed interface Decision {
        /** Recipients with equal keys can share one copy of the message. */
        String groupKey();
    }

    /** Deliver without encryption. */
    public record Plain(String why) implements Decision {
        @Override
        public String groupKey() {
            return "plain";
        }
    }

    /** Refuse this recipient: 4xx or 5xx. */
    public record Refuse(SmtpReply reply) implements Decision {
        @Override
        public String groupKey() {
            return "refuse|" + reply.code();
        }
    }

    /** Encrypt with OpenPGP to {@code cert}. */
    public record Pgp(PgpKeys.ValidCert cert, OuterHeader outer, String why) implements Decision {
        @Override
        public String groupKey() {
            return "pgp|" + outer.key();
        }
    }

    /** Encrypt with S/MIME to {@code cert}. */
    public record Smime(CertDirectory.ValidCert cert, OuterHeader outer, boolean gcm, String why) implements Decision {
        @Override
        public String groupKey() {
            return "smime|" + outer.key() + "|" + gcm;
        }
    }

    /**
     * Send the message to this recipient as a PDF encrypted to its PDF password ({@code email}: whose;
     * {@code password}: where the PDF's password comes from).
     * Each recipient has its own password, so each gets its own copy.
     */
    public record Pdf(String email, String why, PdfPassword password) implements Decision {
        @Override
        public String groupKey() {
            return "pdf|" + email;
        }
    }

    private final PolicyResolver resolver;
    private final KeyDirectory keys;
    private final CertDirectory certs;
    private final KeyGenerationGate generation;

    public RecipientDecider(PolicyResolver resolver, KeyDirectory keys, CertDirectory certs, KeyGenerationGate generation) {
        this.resolver = resolver;
        this.keys = keys;
        this.certs = certs;
        this.generation = generation;
    }

    @Override
    public Decision decide(String queueId, Address rcpt) throws Exception {
        String email = Address.normalise(rcpt.toString());
        PolicyResolver.Effective p = resolver.resolve(rcpt);
        String why = "encrypt=" + p.encrypt().word() + " from " + p.source("encrypt");
        if (p.encrypt() == EncryptMode.NEVER) {
            log.info("{}: to=<{}>, not encrypted: {}", queueId, rcpt, why);
            return new Plain(why);
        }
        Decision d = choose(email, p, why);
        if (d != null) {
            return logged(queueId, rcpt, d);
        }
        if (p.encrypt() == EncryptMode.OPPORTUNISTIC) {
            log.info("{}: to=<{}>, not encrypted: no usable key ({})", queueId, rcpt, why);
            return new Plain(why + ", no usable key");
        }
        String missing = "onMissingKey=" + p.onMissingKey().word() + " from " + p.source("onMissingKey");
        switch (p.onMissingKey()) {
            case TEMPFAIL -> {
                log.info("{}: to=<{}>, deferred: no usable key ({}, {})", queueId, rcpt, why, missing);
                return new Refuse(SmtpReply.of(450, "4.7.1", "<" + rcpt + ">: no usable encryption key; encryption is mandatory"));
            }
            case REJECT -> {
                log.info("{}: to=<{}>, rejected: no usable key ({}, {})", queueId, rcpt, why, missing);
                return new Refuse(SmtpReply.of(550, "5.7.1", "<" + rcpt + ">: no usable encryption key; encryption is mandatory"));
            }
            case DELIVER -> {
                log.warn("{}: to=<{}>, NOT encrypted: no usable key and {} ({})", queueId, rcpt, missing, why);
                return new Plain(why + ", " + missing);
            }
            case GENERATE -> {
                KeyGenerationGate.Refusal no = generation.admit(email, GenerateFor.parse(p.get("generateFor")));
                if (no == KeyGenerationGate.Refusal.UNKNOWN_RECIPIENT) {
                    log.info("{}: to=<{}>, rejected: no usable key, and none is generated for an unknown recipient (generateFor={} from {})",
                            queueId, rcpt, p.get("generateFor"), p.source("generateFor"));
                    return new Refuse(SmtpReply.of(550, "5.7.1", "<" + rcpt + ">: no usable encryption key; encryption is mandatory"));
                }
                if (no == KeyGenerationGate.Refusal.RATE_LIMITED) {
                    log.warn("{}: to=<{}>, deferred: key generation rate limit reached", queueId, rcpt);
                    return new Refuse(SmtpReply.of(451, "4.7.5", "<" + rcpt + ">: cannot create an encryption key now; try again later"));
                }
                try {
                    CryptoMethod method = p.method() == CryptoMethod.ANY ? p.generateMethod() : p.method();
                    String w = why + ", key generated (" + missing + ")";
                    Decision g = method == CryptoMethod.SMIME
                            ? new Smime(certs.issue(email, null, null), p.outerHeader(), p.smimeGcm(), w)
                            : new Pgp(keys.generate(email), p.outerHeader(), w);
                    return logged(queueId, rcpt, g);
                } catch (KeyStoreException e) {
                    // Fail closed: mandatory encryption and no key: 4xx, never plaintext.
                    log.error("{}: to=<{}>, deferred: {}", queueId, rcpt, e.getMessage());
                    return new Refuse(SmtpReply.of(451, "4.7.5", "<" + rcpt + ">: cannot create an encryption key; try again later"));
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * {@code method} limits the choice; with both available, {@code preferredMethod} decides. The
     * preferred method is looked up first and the other only if it has no key. Null: no key.
     */
    private Decision choose(String email, PolicyResolver.Effective p, String why) throws Exception {
        CryptoMethod allowed = p.method();
        boolean smimeFirst = allowed == CryptoMethod.SMIME
                || (allowed == CryptoMethod.ANY && p.preferredMethod() == CryptoMethod.SMIME);
        for (CryptoMethod m : smimeFirst ? List.of(CryptoMethod.SMIME, CryptoMethod.OPENPGP)
                : List.of(CryptoMethod.OPENPGP, CryptoMethod.SMIME)) {
            if (allowed != CryptoMethod.ANY && allowed != m) {
                continue;
            }
            if (m == CryptoMethod.OPENPGP) {
                Optional<PgpKeys.ValidCert> pgp = keys.find(email);
                if (pgp.isPresent()) {
                    return new Pgp(pgp.get(), p.outerHeader(), why);
                }
            } else {
                Optional<CertDirectory.ValidCert> smime = certs.find(email);
                if (smime.isPresent()) {
                    return new Smime(smime.get(), p.outerHeader(), p.smimeGcm(), why);
                }
            }
        }
        return null;
    }

    private static Decision logged(String queueId, Address rcpt, Decision d) {
        if (d instanceof Pgp g) {
            log.info("{}: to=<{}>, encrypt: OpenPGP key {} ({})", queueId, rcpt, g.cert().fingerprint(), g.why());
        } else if (d instanceof Smime s) {
            log.info("{}: to=<{}>, encrypt: S/MIME certificate {} ({})", queueId, rcpt, s.cert().fingerprint(), s.why());
        }
        return d;
    }
}
