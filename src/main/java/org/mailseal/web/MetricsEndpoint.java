package org.mailseal.web;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.mailseal.config.HostPort;
import org.mailseal.metrics.GatewayMetrics;

/** Serves {@code GET /metrics} (Prometheus text format) and {@code GET /ca.crl} on its own address. */
public final class MetricsEndpoint implements AutoCloseable {

    private final HttpServer server;

    /** Also publishes the built-in CA's CRL at {@code /ca.crl} (DER, RFC 5280) when {@code certs} is given. */
    public MetricsEndpoint(HostPort listen, GatewayMetrics metrics, org.mailseal.keys.CertDirectory certs) throws IOException {
        server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 16);
        server.createContext("/metrics", ex -> {
            byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.createContext("/ca.crl", ex -> {
            byte[] body;
            try {
                body = certs == null ? null : certs.currentCrl().getEncoded();
            } catch (Exception e) {
                body = null;
            }
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "application/pkix-crl");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
    }

    public MetricsEndpoint start() {
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
