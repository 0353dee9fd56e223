package org.mailseal.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.auth.UserStore;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.PgpKeyStore;

/**
 * The REST API under {@code /api/v1}, described by the hand-written OpenAPI 3 document served at
 * {@code /api/v1/openapi.json}. {@link #ROUTES} is the one list of operations: they are registered from it, and
 * a test checks it against the document both ways. Authentication: {@code Authorization: Bearer <token>}
 * ({@link ApiTokens}, admin rights), or an admin's web session with its CSRF token in {@code X-CSRF-Token} for
 * every change. Every change goes to the audit log under the token's name or the admin's address.
 */
public final class Api {

    /** One operation of the API. */
    public record Route(String method, String path, String summary) {
    }

    public static final List<Route> ROUTES = List.of(
            new Route("GET", "/api/v1/users", "List users"),
            new Route("POST", "/api/v1/users", "Add a user"),
            new Route("DELETE", "/api/v1/users/{username}", "Delete a user"),
            new Route("GET", "/api/v1/keys", "List OpenPGP keys, with their source"),
            new Route("POST", "/api/v1/keys", "Import public OpenPGP keys"),
            new Route("DELETE", "/api/v1/keys/{fingerprint}", "Delete an OpenPGP key"));

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Who makes a request: a token's name or an admin; and from where. */
    record Caller(String actor, String client) {
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
        Map<String, Handler> handlers = new LinkedHashMap<>();
        handlers.put("GET /api/v1/users", this::listUsers);
        handlers.put("POST /api/v1/users", this::addUser);
        handlers.put("DELETE /api/v1/users/{username}", this::deleteUser);
        handlers.put("GET /api/v1/keys", this::listKeys);
        handlers.put("POST /api/v1/keys", this::importKeys);
        handlers.put("DELETE /api/v1/keys/{fingerprint}", this::deleteKey);
        for (Route route : ROUTES) {
            Handler h = handlers.get(route.method() + " " + route.path());
            switch (route.method()) {
                case "GET" -> r.get(route.path(), h);
                case "POST" -> r.post(route.path(), h);
                case "DELETE" -> r.delete(route.path(), h);
                default -> throw new IllegalStateException(route.method());
            }
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
        var v = sessions.find(ctx.cookie("mailseal_session"));
        if (v.isEmpty()) {
            error(ctx, HttpStatus.UNAUTHORIZED, "authentication required: a bearer token or a web session");
            return null;
        }
        if (!v.get().admin()) {
            error(ctx, HttpStatus.FORBIDDEN, "for administrators");
            return null;
        }
        if (!ctx.method().name().equals("GET") && !java.security.MessageDigest.isEqual(String.valueOf(ctx.header("X-CSRF-Token"))
                .getBytes(StandardCharsets.UTF_8), v.get().csrf().getBytes(StandardCharsets.UTF_8))) {
            error(ctx, HttpStatus.FORBIDDEN, "X-CSRF-Token missing or wrong");
            return null;
        }
        return new Caller(v.get().username(), ctx.ip());
    }

    private static void error(Context ctx, HttpStatus status, String message) throws Exception {
        ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(Map.of("error", message)));
    }

    private static void json(Context ctx, HttpStatus status, Object body) throws Exception {
        ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
    }

    private void listUsers(Context ctx) throws Exception {
        if (caller(ctx) == null) {
            return;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String u : s.users().list()) {
            out.add(Map.of("username", u, "admin", admins.contains(u), "pgpKeys", s.pgp().list(u).size(), "certificates", s.smime().list(u).size()));
        }
        json(ctx, HttpStatus.OK, out);
    }

    private void addUser(Context ctx) throws Exception {
        Caller c = caller(ctx);
        if (c == null) {
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (java.io.IOException e) {
            error(ctx, HttpStatus.BAD_REQUEST, "the body must be JSON: {\"username\": ..., \"password\": ...}");
            return;
        }
        String user = UserStore.normalise(body.path("username").asText("").strip());
        String password = body.path("password").asText("");
        if (!user.matches("[^@\\s<>\"]+@[^@\\s<>\"]+\\.[^@\\s<>\"]+") || password.length() < 8) {
            error(ctx, HttpStatus.BAD_REQUEST, "username must be an address and password at least 8 characters");
            return;
        }
        if (!s.users().add(user, password)) {
            error(ctx, HttpStatus.CONFLICT, "exists already");
            return;
        }
        audit.record(c.actor(), "user.add", user, c.client());
        json(ctx, HttpStatus.CREATED, Map.of("username", user));
    }

    private void deleteUser(Context ctx) throws Exception {
        Caller c = caller(ctx);
        if (c == null) {
            return;
        }
        String user = UserStore.normalise(ctx.pathParam("username"));
        if (!s.users().delete(user)) {
            error(ctx, HttpStatus.NOT_FOUND, "no such user");
            return;
        }
        sessions.endAll(user);
        audit.record(c.actor(), "user.delete", user, c.client());
        ctx.status(HttpStatus.NO_CONTENT);
    }

    private void listKeys(Context ctx) throws Exception {
        if (caller(ctx) == null) {
            return;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (PgpKeyStore.Entry e : s.pgp().list(null)) {
            out.add(Map.of("fingerprint", e.fingerprint(), "emails", e.emails(), "algorithm", e.algorithm(),
                    "source", e.managed() ? "generated" : "imported or learned"));
        }
        for (org.mailseal.keys.DiscoveredKeys.Entry e : s.discovered().list()) {
            if (e.kind().equals("openpgp")) {
                out.add(Map.of("fingerprint", e.fingerprint(), "emails", List.of(e.email()), "algorithm", "", "source", "discovered: " + e.source()));
            }
        }
        json(ctx, HttpStatus.OK, out);
    }

    private void importKeys(Context ctx) throws Exception {
        Caller c = caller(ctx);
        if (c == null) {
            return;
        }
        byte[] data = ctx.bodyAsBytes();
        if (data.length > 1 << 20) {
            error(ctx, HttpStatus.CONTENT_TOO_LARGE, "over 1 MiB");
            return;
        }
        KeyImport.Result r;
        try {
            r = KeyImport.publicKeys(s.pgp(), audit, c.actor(), c.client(), data);
        } catch (java.io.IOException | RuntimeException e) {
            error(ctx, HttpStatus.BAD_REQUEST, "not an OpenPGP key: " + e.getMessage());
            return;
        }
        List<String> imported = r.imported().stream().map(PgpKeys.ValidCert::fingerprint).toList();
        List<String> refused = r.refused();
        json(ctx, imported.isEmpty() ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.OK, Map.of("imported", imported, "refused", refused));
    }

    private void deleteKey(Context ctx) throws Exception {
        Caller c = caller(ctx);
        if (c == null) {
            return;
        }
        String fpr = PgpKeyStore.normaliseFpr(ctx.pathParam("fingerprint"));
        if (!s.pgp().delete(fpr)) {
            error(ctx, HttpStatus.NOT_FOUND, "no such key");
            return;
        }
        audit.record(c.actor(), "key.delete", fpr, c.client());
        ctx.status(HttpStatus.NO_CONTENT);
    }
}
