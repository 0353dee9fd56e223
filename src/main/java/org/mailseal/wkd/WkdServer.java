package org.mailseal.wkd;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.mailseal.config.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Web Key Directory over HTTPS (draft-koch-openpgp-webkey-service §3.1):
 * <ul>
 * <li>advanced method, host {@code openpgpkey.<domain>}: {@code /.well-known/openpgpkey/<domain>/hu/<hash>};</li>
 * <li>direct method, host {@code <domain>}: {@code /.well-known/openpgpkey/hu/<hash>} (the domain from the
 * Host header);</li>
 * <li>the policy file (§4.5) for each, empty: no submission address, no options.</li>
 * </ul>
 * Keys go out as {@code application/octet-stream}, binary; a query ({@code ?l=}) is ignored. Only GET and
 * HEAD; everything else is 404 or 405, with no detail about which addresses exist.
 */
public final class WkdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("wkd");
    private static final Pattern ADVANCED = Pattern.compile("/\\.well-known/openpgpkey/([a-z0-9.-]+)/(hu/([a-z0-9]{32})|policy)");
    private static final Pattern DIRECT = Pattern.compile("/\\.well-known/openpgpkey/(hu/([a-z0-9]{32})|policy)");

    private final HttpsServer server;
    private final WkdDirectory directory;
    private final byte[] mtaStsPolicy;

    /** {@code mtaStsPolicy}: the MTA-STS policy file served at {@code mta-sts.<domain>} (RFC 8461 §3.3), or null. */
    public WkdServer(HostPort listen, SSLContext tls, WkdDirectory directory, String mtaStsPolicy) throws IOException {
        this.directory = directory;
        this.mtaStsPolicy = mtaStsPolicy == null ? null : mtaStsPolicy.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        server = HttpsServer.create(new InetSocketAddress(listen.host(), listen.port()), 32);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "wkd");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
    }

    public WkdServer start() {
        server.start();
        log.info("Web Key Directory listening on {} for {}", server.getAddress(), directory.domains());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(x, 405, null);
                return;
            }
            String path = x.getRequestURI().getRawPath();
            if (path.equals("/.well-known/mta-sts.txt")) {
                String host = String.valueOf(x.getRequestHeaders().getFirst("Host")).toLowerCase(Locale.ROOT).replaceFirst(":[0-9]+$", "");
                boolean ours = mtaStsPolicy != null && host.startsWith("mta-sts.") && directory.domains().contains(host.substring(8));
                log.info("MTA-STS policy {} for {}: {}", method, host, ours ? "served" : "none");
                x.getResponseHeaders().set("Content-Type", "text/plain"); // §3.3
                send(x, ours ? 200 : 404, ours ? mtaStsPolicy : null);
                return;
            }
            String domain;
            String hash;
            boolean policy;
            Matcher a = ADVANCED.matcher(path);
            Matcher d = DIRECT.matcher(path);
            if (a.matches()) {
                domain = a.group(1);
                hash = a.group(3);
                policy = hash == null;
            } else if (d.matches()) {
                String host = String.valueOf(x.getRequestHeaders().getFirst("Host")).toLowerCase(Locale.ROOT);
                domain = host.replaceFirst(":[0-9]+$", "");
                hash = d.group(2);
                policy = hash == null;
            } else {
                send(x, 404, null);
                return;
            }
            if (!directory.domains().contains(domain)) {
                send(x, 404, null);
                return;
            }
            if (policy) {
                send(x, 200, new byte[0]);
                return;
            }
            Optional<byte[]> keys = directory.lookup(domain, hash);
            log.info("WKD {} {} for {}: {}", method, hash, domain, keys.isPresent() ? "found" : "none");
            send(x, keys.isPresent() ? 200 : 404, keys.orElse(null));
        } catch (Exception e) {
            log.warn("WKD request failed: {}", e.getMessage());
            try {
                send(x, 503, null);
            } catch (IOException ignored) {
                // the client is gone
            }
        }
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.getResponseHeaders().putIfAbsent("Content-Type", java.util.List.of("application/octet-stream"));
        x.getResponseHeaders().set("Access-Control-Allow-Origin", "*"); // §3.1: for web clients
        x.getResponseHeaders().set("Cache-Control", "max-age=3600");
        boolean head = x.getRequestMethod().equals("HEAD");
        if (body == null || head) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
