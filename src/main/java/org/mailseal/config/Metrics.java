package org.mailseal.config;

/** Prometheus endpoint. */
public record Metrics(Boolean enabled, HostPort listen) {
    public Metrics {
        enabled = enabled == null || enabled;
        listen = listen != null ? listen : HostPort.parse("127.0.0.1:9025");
    }
}
