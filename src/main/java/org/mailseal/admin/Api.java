package org.mailseal.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.logging.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API under {@code /api/v1}, described by the hand-written OpenAPI 3 document served at
 * {@code /api/v1/openapi.json}. {@link #ROUTES} is the one list of operations, each naming the CLI command it
 * stands for: they are registered from it, a test checks it against the document both ways, and another
 * compares it with the CLI's commands ({@link #HOST_ONLY} names those that have no route, and why).
 * Authentication: {@code Authorization: Bearer <token>} ({@link ApiTokens}, admin rights), or an admin's web
 * session with its CSRF token in {@code X-CSRF-Token} for every change. Every change goes to the audit log
 * under the token's name or the admin's address. Errors are {@code {"error": "..."}} with a 4xx status.
 */
public final class Api {

    private static final Logger log = LoggerFactory.getLogger("api");
    static final ObjectMapper JSON = new ObjectMapper();

    /** One operation: its method and path, what it does, and the CLI command it mirrors (null: the API's own). */
    public record Route(String method, String path, String summary, String cli) {
    }

    public static final List<Route> ROUTES = List.of(
            new Route("GET", "/api/v1/users", "List users", "users list"),
            new Route("POST", "/api/v1/users", "Add a user", "users add"),
            new Route("DELETE", "/api/v1/users/{username}", "Delete a user", "users delete"),
            new Route("PUT", "/api/v1/users/{username}/password", "Set a user's password", "users passwd"),
            new Route("GET", "/api/v1/users/{username}/addresses", "The further addresses a user may send as", "users addresses"),
            new Route("POST", "/api/v1/users/{username}/addresses", "Add an address a user may send as", "users addresses"),
            new Route("DELETE", "/api/v1/users/{username}/addresses/{address}", "Remove an address a user may send as", "users addresses"),
            new Route("PUT", "/api/v1/users/{username}/imap-login", "Store a user's IMAP login (sealed)", "users imap-login"),
            new Route("DELETE", "/api/v1/users/{username}/imap-login", "Remove a user's IMAP login", "users imap-login"),
            new Route("GET", "/api/v1/keys", "List OpenPGP keys, with their source", "keys list"),
            new Route("POST", "/api/v1/keys", "Import public OpenPGP keys", "keys import"),
            new Route("POST", "/api/v1/keys/generate", "Generate a key pair for an address", "keys generate"),
            new Route("GET", "/api/v1/keys/{fingerprint}", "One key and whether it is usable now", "keys show"),
            new Route("GET", "/api/v1/keys/{fingerprint}/public", "A key's public part, armored", "keys export"),
            new Route("POST", "/api/v1/keys/{fingerprint}/secret", "A secret key protected by a passphrase, armored", "keys export-secret"),
            new Route("DELETE", "/api/v1/keys/{fingerprint}", "Delete an OpenPGP key", "keys delete"),
            new Route("POST", "/api/v1/relay-keys/{domain}", "Create (or show) a local domain's relay key", "keys relay-key"),
            new Route("GET", "/api/v1/discovered", "Keys found by discovery, and the pins", "keys discovered"),
            new Route("POST", "/api/v1/pins/{address}/accept", "Accept the changed key offered for a pinned address", "keys pin-accept"),
            new Route("DELETE", "/api/v1/pins/{address}", "Forget a pin", "keys unpin"),
            new Route("GET", "/api/v1/certs", "List S/MIME certificates", "certs list"),
            new Route("POST", "/api/v1/certs", "Import certificates (PEM, DER, PKCS#7, PKCS#12)", "certs import"),
            new Route("GET", "/api/v1/certs/{fingerprint}", "One certificate and whether it is usable now", "certs show"),
            new Route("GET", "/api/v1/certs/{fingerprint}/pem", "A certificate, PEM", "certs export"),
            new Route("DELETE", "/api/v1/certs/{fingerprint}", "Delete a certificate", "certs delete"),
            new Route("GET", "/api/v1/ca", "The built-in CA", "ca show"),
            new Route("POST", "/api/v1/ca", "Set up the built-in CA", "ca init"),
            new Route("POST", "/api/v1/ca/certificates", "Issue a user certificate", "ca issue"),
            new Route("POST", "/api/v1/ca/revocations", "Revoke certificates the CA issued", "ca revoke"),
            new Route("GET", "/api/v1/ca/crl", "A freshly signed CRL, PEM", "ca crl"),
            new Route("POST", "/api/v1/ca/pkcs12", "A user's certificate and private key as PKCS#12", "ca export-p12"),
            new Route("GET", "/api/v1/policy/{email}", "The effective policy of an address, with sources", "policy show"),
            new Route("PUT", "/api/v1/policy/{email}", "Set or remove an address's own settings", "policy set"),
            new Route("GET", "/api/v1/quarantine", "List quarantined messages", "quarantine list"),
            new Route("GET", "/api/v1/quarantine/{id}", "A quarantined message", "quarantine show"),
            new Route("POST", "/api/v1/quarantine/{id}/release", "Release a quarantined message through the gateway", "quarantine release"),
            new Route("DELETE", "/api/v1/quarantine/{id}", "Delete a quarantined message", "quarantine delete"),
            new Route("POST", "/api/v1/quarantine/purge", "Delete entries older than a duration", "quarantine purge"),
            new Route("GET", "/api/v1/dkim", "DKIM keys with their state and DNS records", "dkim show"),
            new Route("POST", "/api/v1/dkim", "Generate a domain's DKIM key(s)", "dkim generate"),
            new Route("POST", "/api/v1/dkim/{domain}/{selector}/activate", "Start signing with a DKIM key", "dkim activate"),
            new Route("DELETE", "/api/v1/dkim/{domain}/{selector}", "Delete a DKIM key that does not sign", "dkim delete"),
            new Route("PUT", "/api/v1/pdf-passwords/{email}", "Set a recipient's PDF password", "pdf password"),
            new Route("DELETE", "/api/v1/pdf-passwords/{email}", "Remove a recipient's PDF password", "pdf password"),
            new Route("POST", "/api/v1/pdf-passwords/{email}/derive", "The derived password of one PDF", "pdf derive"),
            new Route("POST", "/api/v1/pdf/render", "Render a message as the password-protected PDF", "pdf render"),
            new Route("GET", "/api/v1/dns-records/{domain}", "The zone lines a local domain publishes", "dns-records"),
            new Route("GET", "/api/v1/tokens", "List API tokens", "api-token list"),
            new Route("POST", "/api/v1/tokens", "Create an API token", "api-token create"),
            new Route("DELETE", "/api/v1/tokens/{id}", "Revoke an API token", "api-token revoke"),
            new Route("GET", "/api/v1/version", "The gateway's version", "version"),
            new Route("GET", "/api/v1/config", "The running configuration, secrets masked", null),
            new Route("GET", "/api/v1/log", "Search the mail log", null),
            new Route("GET", "/api/v1/audit", "The audit log", null),
            new Route("GET", "/api/v1/why/{recipient}", "What the policy would decide for a recipient", null));

    /** The CLI commands with no route, and why: they act on the box itself, not on the gateway's data. */
    public static final Map<String, String> HOST_ONLY = Map.ofEntries(
            Map.entry("serve", "runs the gateway"),
            Map.entry("demo", "runs a demonstration gateway"),
            Map.entry("check-config", "checks a configuration file before a start (GET /api/v1/config shows the running one)"),
            Map.entry("postfix-config", "prints lines for the local Postfix's main.cf and master.cf"),
            Map.entry("backup", "writes a sealed archive to a file on the box"),
            Map.entry("restore", "replaces the store from an archive while the gateway is stopped"),
            Map.entry("wkd export", "writes a directory tree for a web server on the box (the wkd listener serves the same)"),
            Map.entry("keys rotate-master", "rewrites the master passphrase file on the box; the passphrase never crosses the network"),
            Map.entry("help", "the command line's own help"));

    /** Who makes a request: a token's name or an admin; and from where. */
    record Caller(String actor, String client) {
    }

    /** An answer other than success, with its status; the message goes to the client. */
    static final class Failure extends RuntimeException {
        final HttpStatus status;

        Failure(HttpStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** One operation's code. */
    interface Op {
        void handle(Context ctx, Caller caller) throws Exception;
    }

    private final AdminServer.Services s;
    private final ApiTokens tokens;
    private final WebSessions sessions;
    private final Audit audit;
    private final List<String> admins;

    Api(AdminServer.Services s, ApiTokens tokens, WebSessions sessions, Audit audit, List<String> admins) {
        this.s = s;
        this.tokens = tokens;
        this.sessions = sessions;
        this.audit = audit;
        this.admins = admins;
    }

    void register(RoutesConfig r) {
        r.get("/api/v1/openapi.json", ctx -> {
            try (InputStream in = Api.class.getResourceAsStream("/web/openapi.json")) {
                ctx.contentType("application/json").result(in.readAllBytes());
            }
        });
        Map<String, Op> ops = new HashMap<>();
        new ApiPeople(s, tokens, sessions, audit, admins).add(ops);
        new ApiKeys(s, audit).add(ops);
        new ApiMail(s, audit).add(ops);
        for (Route route : ROUTES) {
            Op op = ops.remove(route.method() + " " + route.path());
            if (op == null) {
                throw new IllegalStateException("no code for " + route);
            }
            io.javalin.http.Handler h = ctx -> call(ctx, op);
            switch (route.method()) {
                case "GET" -> r.get(route.path(), h);
                case "POST" -> r.post(route.path(), h);
                case "PUT" -> r.put(route.path(), h);
                case "DELETE" -> r.delete(route.path(), h);
                default -> throw new IllegalStateException(route.method());
            }
        }
        if (!ops.isEmpty()) {
            throw new IllegalStateException("code for no route: " + ops.keySet());
        }
    }

    private void call(Context ctx, Op op) throws Exception {
        Caller c = caller(ctx);
        if (c == null) {
            return;
        }
        try {
            op.handle(ctx, c);
        } catch (Failure f) {
            error(ctx, f.status, f.getMessage());
        } catch (IllegalArgumentException | org.mailseal.crypto.KeyStoreException bad) {
            error(ctx, HttpStatus.BAD_REQUEST, String.valueOf(bad.getMessage()));
        } catch (Exception e) {
            log.warn("api: {} {}: {}", ctx.method(), LogSafe.text(ctx.path()), LogSafe.text(String.valueOf(e.getMessage())));
            error(ctx, HttpStatus.INTERNAL_SERVER_ERROR, "failed; the gateway's log says why");
        }
    }

    /** The caller of an API request, or a 401/403 already answered (null). */
    private Caller caller(Context ctx) throws Exception {
        String auth = ctx.header("Authorization");
        if (auth != null && auth.startsWith("Bearer ")) {
            var name = tokens.check(auth.substring(7).strip());
            if (name.isPresent()) {
                return new Caller("token:" + name.get(), ctx.ip());
            }
            error(ctx, HttpStatus.UNAUTHORIZED, "unknown or revoked token");
            return null;
        }
        var v = sessions.find(ctx.cookie(Site.SESSION));
        if (v.isEmpty()) {
            error(ctx, HttpStatus.UNAUTHORIZED, "authentication required: a bearer token or a web session");
            return null;
        }
        if (!v.get().admin()) {
            error(ctx, HttpStatus.FORBIDDEN, "for administrators");
            return null;
        }
        if (!ctx.method().name().equals("GET") && !Site.same(ctx.header("X-CSRF-Token"), v.get().csrf())) {
            error(ctx, HttpStatus.FORBIDDEN, "X-CSRF-Token missing or wrong");
            return null;
        }
        return new Caller(v.get().username(), ctx.ip());
    }

    static void error(Context ctx, HttpStatus status, String message) throws Exception {
        ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(Map.of("error", message)));
    }

    static void json(Context ctx, HttpStatus status, Object body) throws Exception {
        ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
    }

    /** The request's JSON object (an empty body is an empty object). */
    static JsonNode body(Context ctx) {
        String b = ctx.body();
        if (b.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode n = JSON.readTree(b);
            if (!n.isObject()) {
                throw new Failure(HttpStatus.BAD_REQUEST, "the body must be a JSON object");
            }
            return n;
        } catch (java.io.IOException e) {
            throw new Failure(HttpStatus.BAD_REQUEST, "the body must be JSON");
        }
    }

    /** A string field; required ones answer 400 when missing. */
    static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull() || n.asText().isEmpty()) {
            if (required) {
                throw new Failure(HttpStatus.BAD_REQUEST, "\"" + field + "\" is required");
            }
            return null;
        }
        if (!n.isTextual() && !n.isNumber() && !n.isBoolean()) {
            throw new Failure(HttpStatus.BAD_REQUEST, "\"" + field + "\" must be a string");
        }
        return n.asText();
    }

    static Failure notFound(String what) {
        return new Failure(HttpStatus.NOT_FOUND, what);
    }

    /** An ordered map for a JSON answer, from key-value pairs (values may be null). */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static byte[] bytes(Context ctx, int max) {
        byte[] data = ctx.bodyAsBytes();
        if (data.length > max) {
            throw new Failure(HttpStatus.CONTENT_TOO_LARGE, "over " + max + " bytes");
        }
        return data;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
