package org.mailseal.policy;

import java.util.Set;
import org.mailseal.config.MailsealConfig;
import org.mailseal.config.Networks;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.SessionInfo;
import org.mailseal.smtp.SmtpReply;

/**
 * Relay control (not an open relay): mail for a local domain is inbound; mail from a trusted network
 * or an authenticated user may go anywhere (outbound); anything else is refused at RCPT.
 */
public final class RelayAccess {

    private final Set<String> localDomains;
    private final Networks networks;
    private final Set<String> routingAllowed;

    public RelayAccess(MailsealConfig config) {
        this.localDomains = Set.copyOf(config.domains().local());
        this.networks = config.networks();
        this.routingAllowed = Set.copyOf(config.domains().allowUntrustedRouting());
    }

    /**
     * Refuses, for a local domain, a quoted local part or one holding {@code @ % ! < >}: source routes
     * in disguise ({@code user%other@local}, {@code other!user@local}) and strings that look like another
     * address. Postfix refuses these with {@code allow_untrusted_routing = no}; a domain may opt in
     * with {@code domains.allowUntrustedRouting}. Null when the address is fine.
     */
    public SmtpReply checkLocalPart(Address rcpt) {
        if (!isLocal(rcpt) || routingAllowed.contains(rcpt.domainLower())) {
            return null;
        }
        String l = rcpt.localPart();
        if (l.startsWith("\"") || l.chars().anyMatch(c -> "@%!<>\"\\".indexOf(c) >= 0)) {
            return SmtpReply.of(553, "5.7.1", "<" + rcpt + ">: quoted or routing local parts are not accepted for this domain");
        }
        return null;
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
