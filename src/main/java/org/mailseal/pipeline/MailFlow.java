package org.mailseal.pipeline;

import java.util.List;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.CertDirectory;
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
 *   receive → spool → hop check → decrypt (outbound) → [scan] → policy (per recipient) → sign (outbound) → encrypt → relay
 * </pre>
 *
 * Every stage is inserted here, and only here.
 */
public final class MailFlow {

    private MailFlow() {
    }

    public static Pipeline assemble(MailsealConfig config, Spool spool, PolicyResolver policy, KeyDirectory keys, CertDirectory certs,
                                    DecryptionKeys secrets, ReplayCache replay, RelayClient relay) {
        return new Pipeline(List.of(
                new HopCountStage(config.limits().maxHops()),   // RFC 5321 §6.3 loop check
                new DecryptStage(spool, secrets, replay, config.outbound().signatureWindow()), // outbound: user or relay key
                // scan stage: virus/spam while the mail is still readable (later)
                new PolicyStage(new RecipientDecider(policy, keys, certs),              // inbound: local policy
                        new OutboundDecider(config.outbound(), policy, keys, certs)),   // outbound: known recipient keys
                new SignStage(spool, policy, secrets),          // outbound: PGP/MIME or S/MIME signature, per sender policy
                new EncryptStage(spool),                        // PGP/MIME or S/MIME, with header protection
                new RelayStage(relay, new RouteTable(config.relay()), config.relay().deadline())));
    }
}
