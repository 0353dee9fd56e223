package org.mailseal.pipeline;

import java.util.List;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.CertDirectory;
import org.mailseal.imap.ImapLogins;
import org.mailseal.keys.DecryptionKeys;
import org.mailseal.keys.KeyDirectory;
import org.mailseal.keys.ReplayCache;
import org.mailseal.policy.OutboundDecider;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.RecipientDecider;
import org.mailseal.spool.Spool;
import org.mailseal.relay.RelayClient;
import org.mailseal.relay.RouteTable;

/**
 * The mail flow, assembled in one place. A message has already been received and spooled
 * when it gets here; it then goes through these stages in order:
 *
 * <pre>
 *   receive → spool → hop check → learn keys (inbound) → decrypt, sign, Sent copy (outbound) → [scan]
 *           → policy (per recipient) → encrypt → relay
 * </pre>
 *
 * Every stage is inserted here, and only here.
 */
public final class MailFlow {

    private MailFlow() {
    }

    public static Pipeline assemble(MailsealConfig config, Spool spool, PolicyResolver policy, KeyDirectory keys, CertDirectory certs,
                                    DecryptionKeys secrets, ReplayCache replay, ImapLogins logins, RelayClient relay,
                                    RelayStage.SentCopies sentCopies, org.mailseal.auth.SenderAddresses addresses) {
        List<Stage> stages = new java.util.ArrayList<>();
        stages.add(new HopCountStage(config.limits().maxHops()));   // RFC 5321 §6.3 loop check
        // inbound: learn senders' keys (Autocrypt, S/MIME signatures); goes after the scan stage once there is one
        stages.add(new HarvestStage(keys, certs));
        stages.add(new DecryptStage(spool, secrets, replay, config.outbound().signatureWindow(), addresses)); // outbound: user or relay key
        stages.add(new SignStage(spool, policy, secrets));          // outbound: PGP/MIME or S/MIME signature, per sender policy
        if (config.sentCopy().enabled()) {
            stages.add(new SentCopyStage(spool, logins, keys, certs)); // outbound: the sender's encrypted Sent copy
        }
        // scan stage: virus/spam while the mail is still readable (later)
        stages.add(new PolicyStage(new RecipientDecider(policy, keys, certs),            // inbound: local policy
                new OutboundDecider(config.outbound(), policy, keys, certs)));          // outbound: known recipient keys
        stages.add(new EncryptStage(spool));                        // PGP/MIME or S/MIME, with header protection
        stages.add(new RelayStage(relay, new RouteTable(config.relay()), config.relay().deadline(), sentCopies)); // then the Sent copy is queued
        return new Pipeline(stages);
    }
}
