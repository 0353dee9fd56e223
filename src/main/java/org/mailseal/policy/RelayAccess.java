package org.mailseal.policy;

import java.util.Set;
import org.mailseal.config.MailsealConfig;
import org.mailseal.pipeline.Direction;
import org.mailseal.smtp.Address;
import org.mailseal.smtp.SessionInfo;
import org.mailseal.smtp.SmtpReply;

/**
 * Relay control (not an open relay): mail for a local domain is inbound; mail from a trusted network
 * or an authenticated user may go anywhere (outbound); anything else is refused at RCPT.
 */
public final class RelayAccess {

    public static final SmtpReply DENIED = SmtpReply.of(554, "5.7.1", "Error: relay access denied");

    private final Set<String> localDomains;
    private final MailsealConfig.Networks networks;

    public RelayAccess(MailsealConfig config) {
        this.localDomains = Set.copyOf(config.domains().local());
        this.networks = config.networks();
    }

    public boolean isLocal(Address a) {
        return localDomains.contains(a.domainLower());
    }

    /** The direction of mail to {@code rcpt} in this session, or null when relaying is denied. */
    public Direction classify(SessionInfo session, Address rcpt) {
        if (isLocal(rcpt)) {
            return Direction.INBOUND;
        }
        if (session.authUser() != null || networks.isTrusted(session.clientAddress())) {
            return Direction.OUTBOUND;
        }
        return null;
    }
}
