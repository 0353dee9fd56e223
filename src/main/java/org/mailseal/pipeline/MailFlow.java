package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.mailseal.auth.SenderAddresses;
import org.mailseal.config.MailsealConfig;
import org.mailseal.imap.ImapLogins;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.DecryptionKeys;
import org.mailseal.keys.KeyBook;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.keys.ReplayCache;
import org.mailseal.keys.StorageSeal;
import org.mailseal.mailauth.arc.ArcVerifier;
import org.mailseal.mailauth.dkim.DkimVerifier;
import org.mailseal.mailauth.dmarc.DmarcVerifier;
import org.mailseal.mailauth.spf.SpfVerifier;
import org.mailseal.mail.Direction;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.policy.KeyGenerationGate;
import org.mailseal.policy.OutboundDecider;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.policy.RelaySignatureRule;
import org.mailseal.relay.RelayClient;
import org.mailseal.relay.RouteTable;
import org.mailseal.scan.Quarantine;
import org.mailseal.scan.Scanner;
import org.mailseal.spool.Spool;

/**
 * The mail flow, assembled in one place, for every entry point. A message has already been received
 * and spooled when it gets here. The runner splits its recipients by direction, and each group takes
 * its lane:
 *
 * <pre>
 *   inbound  (internet → local domain):  hop check → sender → sanitize → authenticate (ARC, SPF, DKIM, DMARC) → scan → learn keys
 *                                         → policy (local) → encrypt → ARC seal → exit
 *   outbound (local user → elsewhere):   hop check → sender → decrypt → sanitize → scan → subject trigger → sign → Sent copy
 *                                         → policy (recipient keys, PDF password) → encrypt → PDF → DKIM sign → exit
 * </pre>
 *
 * The exit is the relay for the content filter (SMTP, LMTP, quarantine release): the client hears 250
 * only once the next hop accepted. For the milter (Postfix, Sendmail) the MTA delivers: the exit hands
 * the final form back, and the milter session puts it in place of the message (headers and body). A
 * milter cannot split one message into different forms, so its policy makes one copy per form, and the
 * session answers 451 at RCPT for a recipient that would need another form than the ones before.
 *
 * <p>Every stage is inserted here, and only here; which direction a stage serves is declared here.
 */
public final class MailFlow {

    private MailFlow() {
    }

    /** What the stages are made of: configuration, stores, keys, scanners, the relay client. */
    public record Parts(MailsealConfig config, Spool spool, PolicyResolver policy, KeyDirectory keys, CertDirectory certs,
                        DecryptionKeys secrets, ReplayCache replay, SenderAddresses addresses, ImapLogins logins,
                        List<Scanner> scanners, Quarantine quarantine, GatewayMetrics metrics,
                        RelayClient relay, RelayStage.SentCopies sentCopies, KeyGenerationGate generation,
                        StorageSeal seal, OutboundDecider.PdfPasswordKnown pdfPasswordKnown, PdfStage.Passwords pdfPasswordOf,
                        PasswordNotices passwordNotices, PdfStage.ReplyLinks replyLinks, PdfStage.Secrets pdfSecrets,
                        DkimSignStage.Keys dkimKeys, DkimVerifier dkimVerifier, SpfVerifier spfVerifier, DmarcVerifier dmarcVerifier,
                        ArcVerifier arcVerifier, org.mailseal.policy.KeyDiscovery discovery) {

        public RecipientDecider inboundDecider() {
            return new RecipientDecider(policy, keys, certs, generation);
        }

        /** {@code exit}: the milter cannot send a generated PDF password to the sender, so it gets none. */
        public OutboundDecider outboundDecider(Exit exit) {
            return new OutboundDecider(config.outbound(), policy, keys, certs, config.pdf(), pdfPasswordKnown, exit == Exit.RELAY, discovery);
        }
    }

    /** Where the flow ends. */
    public enum Exit {
        /** Relay to the next hop (content filter, LMTP, quarantine release). */
        RELAY,
        /** Hand the final form back to the MTA, which delivers it (milter). */
        IN_PLACE
    }

    /** The SMTP and LMTP listeners' flow (and quarantine release): ends at the relay. */
    public static Pipeline contentFilter(Parts p) {
        return assemble(p, Exit.RELAY);
    }

    /** The milter's flow: the same stages, ending with the form the MTA puts in place of the message. */
    public static Pipeline milter(Parts p) {
        return assemble(p, Exit.IN_PLACE);
    }

    static Pipeline assemble(Parts p, Exit exit) {
        MailsealConfig config = p.config();
        Lanes flow = new Lanes();
        flow.both(new HopCountStage(config.limits().maxHops()));         // RFC 5321 §6.3 loop check
        flow.both(new SenderStage(p.addresses()::owns));                        // authenticated users: only their own From
        flow.outbound(new DecryptStage(p.spool(), p.secrets(), p.replay()::firstSeen, new RelaySignatureRule(config.outbound().signatureWindow()), p.addresses()::owns,
                2 * config.limits().maxMessageSize(), p.seal()));         // the sender's or the relay key; at most twice the size limit
        flow.both(new SanitizeStage(p.spool(), config.hostname(), config.scan().any())); // no spoofed X-Mailseal-*, AR, X-Spam-*
        if (config.authentication().verifyInbound()) {
            flow.inbound(new AuthenticateStage(p.spool(), config.hostname(), p.dkimVerifier(), p.spfVerifier(), p.dmarcVerifier(),
                    p.arcVerifier(), config.authentication(), p.quarantine())); // SPF, DKIM, DMARC → Authentication-Results inside
        }
        flow.both(new ScanStage(config.scan(), p.scanners(), p.quarantine(), p.spool(), p.metrics())); // virus/spam, while readable
        flow.inbound(new HarvestStage(KeyBook.of(p.keys(), p.certs()), java.util.Set.copyOf(config.domains().local()),
                config.authentication()::learnAutocryptFor)); // learn senders' keys (Autocrypt only after DMARC pass)
        flow.outbound(new SubjectTriggerStage(p.spool(), config.pdf().subjectTrigger())); // "[secure]": encrypt, or PDF, or refuse
        flow.outbound(new SignStage(p.spool(), p.policy()::resolve, p.secrets()));  // PGP/MIME or S/MIME signature, per sender policy
        if (config.sentCopy().enabled()) {
            flow.outbound(new SentCopyStage(p.spool(), p.logins()::has, KeyBook.of(p.keys(), p.certs()), p.seal())); // the sender's encrypted Sent copy
        }
        PolicyStage.Copies copies = exit == Exit.RELAY ? PolicyStage.Copies.PER_BCC : PolicyStage.Copies.ONE;
        flow.inbound(new PolicyStage(p.inboundDecider(), copies));        // local policy: encrypt to the recipient's key
        flow.outbound(new PolicyStage(p.outboundDecider(exit), copies));      // known recipient keys, mandatory domains
        flow.both(new EncryptStage(p.spool(), p.seal()));                 // PGP/MIME or S/MIME, with header protection
        if (config.authentication().verifyInbound() && config.authentication().arcSeal()) {
            flow.inbound(new ArcSealStage(p.spool(), config.hostname(), p.dkimKeys())); // the verdict before encryption, sealed (RFC 8617)
        }
        flow.outbound(new PdfStage(p.spool(), p.pdfPasswordOf(), p.passwordNotices(), config.pdf().attachOriginal(), config.hostname(),
                p.replyLinks(), p.pdfSecrets())); // no key: the PDF
        if (config.authentication().signOutbound()) {
            flow.outbound(new DkimSignStage(p.spool(), p.dkimKeys()));      // DKIM, the last change made (RFC 6376 §5)
        }
        if (exit == Exit.RELAY) {
            flow.both(new RelayStage(p.relay()::deliver, new RouteTable(config.relay()), config.relay().deadline(), p.sentCopies())); // then Sent copy
        } else {
            flow.both(new InPlaceStage(p.sentCopies()));                  // the MTA delivers what the milter puts in place
        }
        return new Pipeline(flow.steps);
    }

    /** The steps in order, each with the directions it serves. */
    private static final class Lanes {
        final List<Pipeline.Step> steps = new ArrayList<>();

        void both(Stage s) {
            steps.add(Pipeline.Step.both(s));
        }

        void inbound(Stage s) {
            steps.add(new Pipeline.Step(s, EnumSet.of(Direction.INBOUND)));
        }

        void outbound(Stage s) {
            steps.add(new Pipeline.Step(s, EnumSet.of(Direction.OUTBOUND)));
        }
    }
}
