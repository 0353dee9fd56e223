package org.mailseal.pipeline;

import java.util.List;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.KeyDirectory;
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
 *   receive → spool → [hop check] → [scan] → [policy, per recipient] → [transform: encrypt/decrypt/sign] → relay
 * </pre>
 *
 * Scan, policy and transform stages come with later features; each is inserted here, and only here.
 */
public final class MailFlow {

    private MailFlow() {
    }

    public static Pipeline assemble(MailsealConfig config, Spool spool, PolicyResolver policy, KeyDirectory keys, CertDirectory certs,
                                    RelayClient relay) {
        return new Pipeline(List.of(
                new HopCountStage(config.limits().maxHops()),   // RFC 5321 §6.3 loop check
                // scan stage: virus/spam while the mail is still readable (later)
                new PolicyStage(new RecipientDecider(policy, keys, certs)), // per recipient: OpenPGP key or S/MIME cert, or pass
                new EncryptStage(spool),                       // PGP/MIME or S/MIME, with header protection
                // further transforms: decrypt, sign (later)
                new RelayStage(relay, new RouteTable(config.relay()), config.relay().deadline())));
    }
}
