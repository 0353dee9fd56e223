package org.mailseal.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Per-client limits in the style of Postfix's anvil(8): concurrent connections per client address
 * ({@code smtpd_client_connection_count_limit}), new connections per minute
 * ({@code smtpd_client_connection_rate_limit}, 0 = off), AUTH failures per client before it is told
 * {@code 421 4.7.0} and backed off ({@code smtpd_client_auth_rate_limit}), and an overall deadline for
 * one DATA phase. Clients matched by {@code exempt} (Postfix: {@code smtpd_client_event_limit_exceptions})
 * are not limited.
 */
public record ClientLimits(int maxConnectionsPerClient, int connectionRatePerMinute, int maxAuthFailures, Duration dataDeadline,
                           Predicate<InetAddress> exempt) {

    /** No per-client limits (unit tests and embedded use); an overall DATA deadline of 10 minutes. */
    public static final ClientLimits NONE = new ClientLimits(0, 0, 0, Duration.ofMinutes(10), a -> true);
}
