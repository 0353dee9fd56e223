package org.mailseal.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.time.Duration;
import java.util.List;

/** Protocol limits and timeouts. RFC 5321 §4.5.3 gives the minimums. */
public record Limits(
        @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxMessageSize,
        Integer maxRecipients,
        Integer maxConnections,
        Integer maxCommandLineLength,
        Integer maxDataLineLength,
        Integer maxErrors,
        Integer maxHops,
        Duration commandTimeout,
        Duration dataTimeout,
        Duration shutdownTimeout,
        Integer maxConnectionsPerClient,
        Integer connectionRatePerMinute,
        Integer maxAuthFailures,
        Duration dataDeadline,
        List<Cidr> clientLimitExceptions,
        Integer keyGenerationsPerMinute) {
    public Limits {
        // anvil-style per-client limits (Postfix: smtpd_client_connection_count_limit etc.); 0 = off
        maxConnectionsPerClient = maxConnectionsPerClient != null ? maxConnectionsPerClient : 20;
        connectionRatePerMinute = connectionRatePerMinute != null ? connectionRatePerMinute : 0;
        maxAuthFailures = maxAuthFailures != null ? maxAuthFailures : 10;
        dataDeadline = dataDeadline != null ? dataDeadline : Duration.ofMinutes(10);
        if (maxConnectionsPerClient < 0 || connectionRatePerMinute < 0 || maxAuthFailures < 0) {
            throw new IllegalArgumentException("limits.maxConnectionsPerClient, connectionRatePerMinute and maxAuthFailures must be >= 0 (0 = off)");
        }
        if (dataDeadline.isNegative() || dataDeadline.isZero()) {
            throw new IllegalArgumentException("limits.dataDeadline must be positive");
        }
        clientLimitExceptions = clientLimitExceptions != null ? List.copyOf(clientLimitExceptions) : null; // null: networks.trusted
        maxMessageSize = maxMessageSize != null ? maxMessageSize : 50L * 1024 * 1024;
        maxRecipients = maxRecipients != null ? maxRecipients : 1000;
        maxConnections = maxConnections != null ? maxConnections : 100;
        // RFC 5321 §4.5.3.1.4: a command line is at least 512 octets; MAIL with DSN/SMTPUTF8 params needs more.
        maxCommandLineLength = maxCommandLineLength != null ? maxCommandLineLength : 2048;
        // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.
        maxDataLineLength = maxDataLineLength != null ? maxDataLineLength : 998;
        maxErrors = maxErrors != null ? maxErrors : 20;
        // RFC 5321 §6.3: loop detection by counting Received fields.
        maxHops = maxHops != null ? maxHops : 50;
        commandTimeout = commandTimeout != null ? commandTimeout : Duration.ofMinutes(5);
        dataTimeout = dataTimeout != null ? dataTimeout : Duration.ofMinutes(3);
        shutdownTimeout = shutdownTimeout != null ? shutdownTimeout : Duration.ofSeconds(30);
        Checks.requirePositive("maxMessageSize", maxMessageSize);
        Checks.requirePositive("maxRecipients", maxRecipients);
        Checks.requirePositive("maxConnections", maxConnections);
        Checks.requirePositive("maxErrors", maxErrors);
        Checks.requirePositive("maxHops", maxHops);
        keyGenerationsPerMinute = keyGenerationsPerMinute != null ? keyGenerationsPerMinute : 30;
        if (keyGenerationsPerMinute < 0) {
            throw new IllegalArgumentException("limits.keyGenerationsPerMinute must be >= 0 (0 = no limit)");
        }
        if (maxCommandLineLength < 512) {
            throw new IllegalArgumentException("maxCommandLineLength must be at least 512 (RFC 5321 §4.5.3.1.4)");
        }
        if (maxDataLineLength < 998) {
            throw new IllegalArgumentException("maxDataLineLength must be at least 998 (RFC 5321 §4.5.3.1.6)");
        }
    }
}
