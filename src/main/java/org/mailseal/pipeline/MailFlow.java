package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.mailseal.auth.SenderAddresses;
import org.mailseal.config.MailsealConfig;
import org.mailseal.imap.ImapLogins;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.DecryptionKeys;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.keys.ReplayCache;
import org.mailseal.keys.StorageSeal;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.policy.KeyGenerationGate;
import org.mailseal.policy.OutboundDecider;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.relay.RelayClient;
import org.mailseal.relay.RouteTable;
import org.mailseal.scan.Quarantine;
import org.mailseal.scan.Scanner;
import org.mailseal.spool.Spool;

/**
 * The mail flow, assembled in one place. A message has already been received and spooled
 * when it gets here; it then goes through these stages in order:
 *
 * <pre>
 *   receive → spool → hop check → sender (authenticated) → decrypt (outbound) → sanitize → scan → learn keys (inbound) → sign, Sent copy (outbound)
 *           → policy (per recipient) → encrypt → relay
 * </pre>
 *
 * Every stage is inserted here, and only here.
 */
public final class MailFlow {

    private MailFlow() {
    }

    /** What the stages are made of: configuration, stores, keys, scanners, the relay client. */
    public record Parts(MailsealConfig config, Spool spool, PolicyResolver policy, KeyDirectory keys, CertDirectory certs,
                        DecryptionKeys secrets, ReplayCache replay, SenderAddresses addresses, ImapLogins logins,
                        List<Scanner> scanners, Quarantine quarantine, GatewayMetrics metrics,
                        RelayClient relay, RelayStage.SentCopies sentCopies, KeyGenerationGate generation,
                        StorageSeal seal) {
    }

    public static Pipeline assemble(Parts p) {
        MailsealConfig config = p.config();
        List<Stage> stages = new ArrayList<>();
        stages.add(new HopCountStage(config.limits().maxHops()));   // RFC 5321 §6.3 loop check
        stages.add(new SenderStage(p.addresses()));                 // authenticated users: only their own From
        stages.add(new DecryptStage(p.spool(), p.secrets(), p.replay(), config.outbound().signatureWindow(), p.addresses(),
                2 * config.limits().maxMessageSize(), p.seal())); // outbound: the sender's or the relay key; at most twice the size limit
        stages.add(new SanitizeStage(p.spool(), config.hostname(), config.scan().any())); // no spoofed X-Mailseal-*, AR, X-Spam-*
        stages.add(new ScanStage(config.scan(), p.scanners(), p.quarantine(), p.spool(), p.metrics())); // virus/spam, while readable
        stages.add(new HarvestStage(p.keys(), p.certs(), java.util.Set.copyOf(config.domains().local())));          // inbound: learn senders' keys (Autocrypt, S/MIME signatures)
        stages.add(new SignStage(p.spool(), p.policy(), p.secrets())); // outbound: PGP/MIME or S/MIME signature, per sender policy
        if (config.sentCopy().enabled()) {
            stages.add(new SentCopyStage(p.spool(), p.logins(), p.keys(), p.certs(), p.seal())); // outbound: the sender's encrypted Sent copy
        }
        stages.add(new PolicyStage(new RecipientDecider(p.policy(), p.keys(), p.certs(), p.generation()),         // inbound: local policy
                new OutboundDecider(config.outbound(), p.policy(), p.keys(), p.certs())));       // outbound: known recipient keys
        stages.add(new EncryptStage(p.spool(), p.seal()));                    // PGP/MIME or S/MIME, with header protection
        stages.add(new RelayStage(p.relay(), new RouteTable(config.relay()), config.relay().deadline(), p.sentCopies())); // then Sent copy
        return new Pipeline(stages);
    }
}
