package org.mailseal.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.HttpStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailseal.auth.SenderAddresses;
import org.mailseal.auth.UserStore;
import org.mailseal.imap.ImapLogins;
import org.mailseal.mail.Address;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.PolicyStore;

/** The API's users, their addresses, IMAP logins and policy; API tokens; and what the gateway is and did. */
final class ApiPeople {

    private final AdminServer.Services s;
    private final ApiTokens tokens;
    private final WebSessions sessions;
    private final Audit audit;
    private final List<String> admins;

    ApiPeople(AdminServer.Services s, ApiTokens tokens, WebSessions sessions, Audit audit, List<String> admins) {
        this.s = s;
        this.tokens = tokens;
        this.sessions = sessions;
        this.audit = audit;
        this.admins = admins;
    }

    void add(Map<String, Api.Op> ops) {
        ops.put("GET /api/v1/users", (ctx, c) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (String u : s.users().list()) {
                out.add(Api.map("username", u, "admin", admins.contains(u), "pgpKeys", s.pgp().list(u).size(), "certificates", s.smime().list(u).size()));
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("POST /api/v1/users", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            String user = UserStore.normalise(String.valueOf(Api.text(b, "username", true)).strip());
            String password = Api.text(b, "password", true);
            if (!UserPages.isAddress(user) || password.length() < 8) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "username must be an address and password at least 8 characters");
            }
            if (!s.users().add(user, password)) {
                throw new Api.Failure(HttpStatus.CONFLICT, "exists already");
            }
            audit.record(c.actor(), "user.add", user, c.client());
            Api.json(ctx, HttpStatus.CREATED, Map.of("username", user));
        });
        ops.put("DELETE /api/v1/users/{username}", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            s.users().delete(user);
            sessions.endAll(user);
            audit.record(c.actor(), "user.delete", user, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("PUT /api/v1/users/{username}/password", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            String password = Api.text(Api.body(ctx), "password", true);
            if (password.length() < 8) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "the password must have at least 8 characters");
            }
            s.users().setPassword(user, password);
            sessions.endAll(user);
            audit.record(c.actor(), "user.passwd", user, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("GET /api/v1/users/{username}/addresses", (ctx, c) ->
                Api.json(ctx, HttpStatus.OK, new SenderAddresses(s.ds()).of(user(ctx.pathParam("username")))));
        ops.put("POST /api/v1/users/{username}/addresses", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            String a = Address.parse(Api.text(Api.body(ctx), "address", true)).toString();
            new SenderAddresses(s.ds()).add(user, a);
            audit.record(c.actor(), "user.address.add", user + " " + a, c.client());
            Api.json(ctx, HttpStatus.OK, new SenderAddresses(s.ds()).of(user));
        });
        ops.put("DELETE /api/v1/users/{username}/addresses/{address}", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            if (!new SenderAddresses(s.ds()).remove(user, ctx.pathParam("address"))) {
                throw Api.notFound("no such address");
            }
            audit.record(c.actor(), "user.address.remove", user + " " + ctx.pathParam("address"), c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("PUT /api/v1/users/{username}/imap-login", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            JsonNode b = Api.body(ctx);
            if (s.master() == null) {
                throw new Api.Failure(HttpStatus.CONFLICT, "this gateway holds no master key: it cannot seal an IMAP password");
            }
            String login = Api.text(b, "login", false);
            char[] pw = Api.text(b, "password", true).toCharArray();
            new ImapLogins(s.ds()).put(user, login == null ? user : login, pw, s.master());
            java.util.Arrays.fill(pw, '\0');
            audit.record(c.actor(), "user.imap-login.set", user, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("DELETE /api/v1/users/{username}/imap-login", (ctx, c) -> {
            String user = user(ctx.pathParam("username"));
            if (!new ImapLogins(s.ds()).delete(user)) {
                throw Api.notFound("no IMAP login stored");
            }
            audit.record(c.actor(), "user.imap-login.delete", user, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("GET /api/v1/policy/{email}", (ctx, c) -> {
            Address a = Address.parse(ctx.pathParam("email"));
            List<Map<String, Object>> out = new ArrayList<>();
            new PolicyResolver(s.config(), new PolicyStore(s.ds())).resolve(a).values()
                    .forEach((k, v) -> out.add(Api.map("setting", k, "value", v.value(), "source", v.source())));
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("PUT /api/v1/policy/{email}", (ctx, c) -> {
            Address a = Address.parse(ctx.pathParam("email"));
            JsonNode b = Api.body(ctx);
            Map<String, String> set = new java.util.LinkedHashMap<>();
            b.fieldNames().forEachRemaining(k -> {
                String v = b.get(k).isNull() ? "" : b.get(k).asText();
                if (!PolicyResolver.SETTINGS.contains(k)) {
                    PolicyResolver.validate(k, "x"); // names the unknown setting
                }
                if (!v.isEmpty()) {
                    PolicyResolver.validate(k, v);
                }
                set.put(k, v);
            });
            PolicyStore store = new PolicyStore(s.ds());
            for (Map.Entry<String, String> e : set.entrySet()) {
                store.set(a.toString(), e.getKey(), e.getValue().isEmpty() ? null : e.getValue());
                audit.record(c.actor(), "policy.set", a + " " + e.getKey() + "=" + e.getValue(), c.client());
            }
            Api.json(ctx, HttpStatus.OK, store.get(a.toString()));
        });
        ops.put("GET /api/v1/tokens", (ctx, c) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (ApiTokens.Token t : tokens.list()) {
                out.add(Api.map("id", t.id(), "name", t.name(), "createdBy", t.createdBy(), "created", t.created().toString(),
                        "revoked", t.revoked() == null ? null : t.revoked().toString()));
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("POST /api/v1/tokens", (ctx, c) -> {
            String name = Api.text(Api.body(ctx), "name", true);
            String token = tokens.create(name, c.actor());
            audit.record(c.actor(), "token.create", name + " " + token.substring(3, 19), c.client());
            Api.json(ctx, HttpStatus.CREATED, Api.map("id", token.substring(3, 19), "name", name, "token", token));
        });
        ops.put("DELETE /api/v1/tokens/{id}", (ctx, c) -> {
            if (!tokens.revoke(ctx.pathParam("id"))) {
                throw Api.notFound("no live token with this id");
            }
            audit.record(c.actor(), "token.revoke", ctx.pathParam("id"), c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("GET /api/v1/version", (ctx, c) -> {
            String v = Api.class.getPackage().getImplementationVersion();
            Api.json(ctx, HttpStatus.OK, Api.map("version", v != null ? v : "0.1.0-SNAPSHOT", "java", System.getProperty("java.version")));
        });
        ops.put("GET /api/v1/config", (ctx, c) -> Api.json(ctx, HttpStatus.OK, ConfigPage.tree(s.config())));
        ops.put("GET /api/v1/audit", (ctx, c) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Audit.Entry e : audit.latest(500)) {
                out.add(Api.map("at", e.at().toString(), "actor", e.actor(), "action", e.action(), "target", e.target(), "client", e.client()));
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("GET /api/v1/log", (ctx, c) -> {
            if (s.mailLog() == null) {
                throw Api.notFound("no mail log");
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (org.mailseal.maillog.MailLog.Message m : s.mailLog().search(new org.mailseal.maillog.MailLog.Query(ctx.queryParam("q"),
                    LogPages.time(ctx.queryParam("from")), LogPages.time(ctx.queryParam("to"))))) {
                out.add(Api.map("queueId", m.queueId(), "lines", m.lines().stream()
                        .map(l -> Api.map("at", l.at().toString(), "node", l.node(), "text", l.text())).toList()));
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("GET /api/v1/why/{recipient}", (ctx, c) -> {
            Explainer.Explanation e = s.explainer().explain(Address.parse(ctx.pathParam("recipient")));
            Api.json(ctx, HttpStatus.OK, Api.map("direction", e.direction(), "action", e.action(), "because", e.why()));
        });
        ops.put("GET /api/v1/dns-records/{domain}", (ctx, c) -> {
            int port = ctx.queryParam("smtpPort") == null ? 25 : Integer.parseInt(ctx.queryParam("smtpPort"));
            var cfg = s.config();
            ctx.contentType("text/plain; charset=utf-8").result(String.join("\n", org.mailseal.publish.DnsRecords.forDomain(ctx.pathParam("domain"), cfg, s.ds(),
                    org.mailseal.smtp.ServerTls.certificate(cfg.tls().certificate(), cfg.tls().privateKey(), cfg.dataDir(), cfg.hostname()), port)) + "\n");
        });
    }

    private String user(String name) throws Exception {
        String user = UserStore.normalise(name);
        if (!s.users().exists(user)) {
            throw Api.notFound("no such user");
        }
        return user;
    }
}
