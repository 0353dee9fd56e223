package org.mailseal.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.mailseal.config.HostPort;
import org.mailseal.config.Limits;
import org.mailseal.config.MailsealConfig;

/** Settings of one listener. {@code postmasterDomain}: where a bare {@code <postmaster>} goes (RFC 5321 §4.5.1). */
public record SmtpSettings(
        String hostname,
        boolean lmtp,
        HostPort listen,
        long maxMessageSize,
        int maxRecipients,
        int maxConnections,
        int maxCommandLineLength,
        int maxDataLineLength,
        int maxErrors,
        Duration commandTimeout,
        Duration dataTimeout,
        SSLContext tls,
        boolean authEnabled,
        Predicate<InetAddress> xforwardAllowed,
        String postmasterDomain,
        ClientLimits clientLimits) {

    public static SmtpSettings from(MailsealConfig c, boolean lmtp, SSLContext tls) {
        Limits l = c.limits();
        return new SmtpSettings(c.hostname(), lmtp, lmtp ? c.lmtp().listen() : c.smtp().listen(),
                l.maxMessageSize(), l.maxRecipients(), l.maxConnections(), l.maxCommandLineLength(),
                l.maxDataLineLength(), l.maxErrors(), l.commandTimeout(), l.dataTimeout(), tls,
                c.auth().enabled(), c.networks()::isXforwardAllowed,
                c.domains().local().isEmpty() ? c.hostname() : c.domains().local().get(0),
                new ClientLimits(l.maxConnectionsPerClient(), l.connectionRatePerMinute(), l.maxAuthFailures(), l.dataDeadline(),
                        a -> (l.clientLimitExceptions() != null ? l.clientLimitExceptions() : c.networks().trusted()).stream().anyMatch(x -> x.contains(a))));
    }
}

