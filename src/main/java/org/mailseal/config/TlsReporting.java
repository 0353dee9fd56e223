package org.mailseal.config;

/**
 * SMTP TLS reporting (RFC 8460) of the relay client's sessions. {@code enabled} (default on): count, per
 * recipient domain and UTC day, the sessions that met or failed its DANE or MTA-STS policy, and write the
 * report JSON under {@code <dataDir>/tls-rpt/}; {@code send} (default off): mail each finished day's report
 * to the {@code mailto:} addresses in the domain's {@code _smtp._tls} TXT record, from {@code from}
 * (default {@code postmaster@<hostname>}), DKIM-signed when mailseal holds a key for that domain.
 */
public record TlsReporting(Boolean enabled, Boolean send, String from) {
    public TlsReporting {
        enabled = enabled == null || enabled;
        send = send != null && send;
        if (send && !enabled) {
            throw new IllegalArgumentException("tlsReports.send: needs tlsReports.enabled");
        }
        if (from != null && !from.matches("[^@\\s]+@[^@\\s]+")) {
            throw new IllegalArgumentException("tlsReports.from: not an address: " + from);
        }
    }
}
