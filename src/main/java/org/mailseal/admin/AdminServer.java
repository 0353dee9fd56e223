package org.mailseal.admin;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.mailseal.auth.UserStore;
import org.mailseal.config.HostPort;
import org.mailseal.config.Web;
import org.mailseal.crypto.smime.Pkcs12File;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
import org.mailseal.keys.UserPkcs12;
import org.mailseal.logging.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web admin and user self-service (config {@code web:}), served over HTTPS by Javalin with templates
 * compiled at build time (jte, every value HTML-escaped). It works through the same stores as the CLI.
 * <ul>
 * <li>Sessions: {@link WebSessions}, in {@code Secure; HttpOnly; SameSite=Strict} cookies, a new id at login.</li>
 * <li>Every state change is a POST carrying the session's CSRF token (the login form a token bound to a
 * cookie of its own); a POST without it is refused with 403.</li>
 * <li>Roles: the users in {@code web.admins} see {@code /admin}; everyone else gets 403 there and sees only
 * their own keys under {@code /me}.</li>
 * <li>Logins are throttled per user and per client ({@link LoginThrottle}); every admin action goes to the
 * {@link Audit} log.</li>
 * <li>Every answer carries a strict Content-Security-Policy (no scripts at all), nosniff, no referrer, no
 * framing, no caching.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("web");
    private static final String SESSION = "mailseal_session";
    private static final String LOGIN = "mailseal_login";

    /** The services the pages use. */
    public record Services(UserStore users, PgpKeyStore pgp, SmimeStore smime, CertDirectory certs, MasterKey master,
                           org.mailseal.keys.DiscoveredKeys discovered, Explainer explainer) {
    }

    private final Web config;
    private final Services s;
    private final WebSessions sessions;
    private final LoginThrottle throttle = new LoginThrottle(java.time.Clock.systemUTC());
    private final Audit audit;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
    private final Javalin app;

    public AdminServer(Web config, SSLContext tls, javax.sql.DataSource ds, Services services) {
        this.config = config;
        this.s = services;
        this.sessions = new WebSessions(ds, config.sessionIdle());
        this.audit = new Audit(ds);
        HostPort listen = config.listen();
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.addConnector((server, http) -> {
                SslContextFactory.Server ssl = new SslContextFactory.Server();
                ssl.setSslContext(tls);
                http.addCustomizer(new SecureRequestCustomizer(false)); // clients may come by address: no SNI host check
                ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
                c.setHost(listen.host());
                c.setPort(listen.port());
                return c;
            });
            cfg.routes.before(this::headers);
            new Api(services, new ApiTokens(ds), sessions, audit, config.admins()).register(cfg.routes);
            cfg.routes.get("/static/admin.css", this::css);
            cfg.routes.get("/", ctx -> ctx.redirect(viewer(ctx).map(v -> v.admin() ? "/admin" : "/me").orElse("/login")));
            cfg.routes.get("/login", this::loginForm);
            cfg.routes.post("/login", this::login);
            cfg.routes.post("/logout", ctx -> {
                Viewer v = requireCsrf(ctx);
                sessions.end(ctx.cookie(SESSION));
                clearCookie(ctx, SESSION);
                log.info("logout user=<{}> client=[{}]", v.username(), ctx.ip());
                ctx.redirect("/login");
            });
            cfg.routes.get("/admin", ctx -> dashboard(ctx, requireAdmin(ctx)));
            cfg.routes.get("/admin/users", ctx -> users(ctx, requireAdmin(ctx), null));
            cfg.routes.post("/admin/users", this::addUser);
            cfg.routes.post("/admin/users/delete", this::deleteUser);
            cfg.routes.post("/admin/users/certificate", this::issueCertificate);
            cfg.routes.get("/admin/keys", ctx -> keys(ctx, requireAdmin(ctx), List.of()));
            cfg.routes.post("/admin/keys", this::importKeys);
            cfg.routes.post("/admin/keys/delete", this::deleteKey);
            cfg.routes.get("/admin/keys/{file}", this::exportKey);
            cfg.routes.get("/admin/why", this::why);
            cfg.routes.get("/me", ctx -> me(ctx, requireUser(ctx), null));
            cfg.routes.post("/me/pkcs12", this::downloadPkcs12);
            cfg.routes.exception(Refused.class, (e, ctx) -> {
                ctx.status(e.status);
                render(ctx, "message.jte", "viewer", e.viewer, "title", e.status == HttpStatus.FORBIDDEN ? "Not allowed" : "Error", "text", e.getMessage());
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("web: {} {}: {}", ctx.method(), LogSafe.text(ctx.path()), LogSafe.text(String.valueOf(e.getMessage())));
                ctx.status(HttpStatus.INTERNAL_SERVER_ERROR);
                render(ctx, "message.jte", "viewer", null, "title", "Error", "text", "Something went wrong; the log says what.");
            });
        });
    }

    public AdminServer start() {
        app.start();
        log.info("web admin listening on https://{}:{}/", config.listen().host(), port());
        return this;
    }

    public int port() {
        for (var c : app.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc && sc.getLocalPort() > 0) {
                return sc.getLocalPort();
            }
        }
        return config.listen().port();
    }

    /** A request refused with a status and a message for the page. */
    static final class Refused extends RuntimeException {
        final HttpStatus status;
        final transient Viewer viewer;

        Refused(HttpStatus status, Viewer viewer, String message) {
            super(message, null, false, false);
            this.status = status;
            this.viewer = viewer;
        }
    }

    private void headers(Context ctx) {
        ctx.header("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Strict-Transport-Security", "max-age=31536000");
    }

    private void css(Context ctx) throws IOException {
        try (InputStream in = AdminServer.class.getResourceAsStream("/web/admin.css")) {
            ctx.contentType("text/css; charset=utf-8").result(in.readAllBytes());
        }
        ctx.header("Cache-Control", "max-age=3600");
    }

    // ---- sessions ----

    private Optional<Viewer> viewer(Context ctx) throws java.sql.SQLException {
        return sessions.find(ctx.cookie(SESSION));
    }

    private Viewer requireUser(Context ctx) throws java.sql.SQLException {
        Optional<Viewer> v = viewer(ctx);
        if (v.isEmpty()) {
            ctx.redirect("/login");
            throw new Refused(HttpStatus.FOUND, null, "log in first");
        }
        return v.get();
    }

    private Viewer requireAdmin(Context ctx) throws java.sql.SQLException {
        Viewer v = requireUser(ctx);
        if (!v.admin()) {
            log.info("refused: user=<{}> is not an admin: {} {} client=[{}]", v.username(), ctx.method(), LogSafe.text(ctx.path()), ctx.ip());
            throw new Refused(HttpStatus.FORBIDDEN, v, "This page is for administrators.");
        }
        return v;
    }

    /** The viewer of a state-changing POST, whose form carries the session's CSRF token. */
    private Viewer requireCsrf(Context ctx) throws java.sql.SQLException {
        Optional<Viewer> v = viewer(ctx);
        if (v.isEmpty()) {
            throw new Refused(HttpStatus.FORBIDDEN, null, "Your session has ended; log in again.");
        }
        if (!same(ctx.formParam("csrf"), v.get().csrf())) {
            log.info("refused: CSRF token missing or wrong: user=<{}> {} {} client=[{}]", v.get().username(), ctx.method(), LogSafe.text(ctx.path()), ctx.ip());
            throw new Refused(HttpStatus.FORBIDDEN, v.get(), "The form was not sent from this site's page.");
        }
        return v.get();
    }

    private Viewer requireAdminPost(Context ctx) throws java.sql.SQLException {
        Viewer v = requireCsrf(ctx);
        if (!v.admin()) {
            throw new Refused(HttpStatus.FORBIDDEN, v, "This is for administrators.");
        }
        return v;
    }

    private static boolean same(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static void setCookie(Context ctx, String name, String value) {
        ctx.res().addHeader("Set-Cookie", name + "=" + value + "; Path=/; Secure; HttpOnly; SameSite=Strict");
    }

    private static void clearCookie(Context ctx, String name) {
        ctx.res().addHeader("Set-Cookie", name + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    }

    // ---- login ----

    private void loginForm(Context ctx) {
        String token = WebSessions.random();
        setCookie(ctx, LOGIN, token);
        render(ctx, "login.jte", "token", token, "error", null);
    }

    private void login(Context ctx) throws Exception {
        if (!same(ctx.formParam("token"), ctx.cookie(LOGIN))) {
            throw new Refused(HttpStatus.FORBIDDEN, null, "The form was not sent from this site's page.");
        }
        String user = UserStore.normalise(String.valueOf(ctx.formParam("username")).strip());
        String password = String.valueOf(ctx.formParam("password"));
        String ip = ctx.ip();
        if (!throttle.allowed(user, ip)) {
            log.info("login refused: too many failures: user=<{}> client=[{}]", LogSafe.text(user), ip);
            ctx.status(HttpStatus.TOO_MANY_REQUESTS);
            render(ctx, "login.jte", "token", fresh(ctx), "error", "Too many failed logins. Try again in 15 minutes.");
            return;
        }
        if (!s.users().verify(user, password)) {
            throttle.failed(user, ip);
            log.info("login failed: user=<{}> client=[{}]", LogSafe.text(user), ip);
            ctx.status(HttpStatus.UNAUTHORIZED);
            render(ctx, "login.jte", "token", fresh(ctx), "error", "Wrong address or password.");
            return;
        }
        throttle.succeeded(user);
        sessions.end(ctx.cookie(SESSION)); // whatever session id the browser had, it is not reused (no fixation)
        boolean admin = config.admins().contains(user);
        WebSessions.Created c = sessions.create(user, admin);
        setCookie(ctx, SESSION, c.cookie());
        clearCookie(ctx, LOGIN);
        log.info("login user=<{}>{} client=[{}]", user, admin ? " (admin)" : "", ip);
        ctx.redirect(admin ? "/admin" : "/me");
    }

    private String fresh(Context ctx) {
        String token = WebSessions.random();
        setCookie(ctx, LOGIN, token);
        return token;
    }

    // ---- admin ----

    private void dashboard(Context ctx, Viewer v) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("Users", String.valueOf(s.users().list().size()));
        f.put("OpenPGP keys", String.valueOf(s.pgp().list(null).size()));
        f.put("S/MIME certificates", String.valueOf(s.smime().list(null).size()));
        f.put("Built-in CA", s.smime().ca().map(ca -> "valid until " + ca.cert().getNotAfter().toInstant()).orElse("not set up (mailseal ca init)"));
        render(ctx, "dashboard.jte", "viewer", v, "figures", f);
    }

    private void users(Context ctx, Viewer v, String notice) throws Exception {
        List<UserRow> rows = new ArrayList<>();
        for (String u : s.users().list()) {
            rows.add(new UserRow(u, config.admins().contains(u), s.pgp().list(u).size(), s.smime().list(u).size()));
        }
        render(ctx, "users.jte", "viewer", v, "users", rows, "notice", notice);
    }

    private void addUser(Context ctx) throws Exception {
        Viewer v = requireAdminPost(ctx);
        String user = UserStore.normalise(String.valueOf(ctx.formParam("username")).strip());
        String password = String.valueOf(ctx.formParam("password"));
        if (!user.matches("[^@\\s<>\"]+@[^@\\s<>\"]+\\.[^@\\s<>\"]+")) {
            users(ctx, v, "Not an address: " + user);
            return;
        }
        if (password.length() < 8) {
            users(ctx, v, "The password must have at least 8 characters.");
            return;
        }
        boolean added = s.users().add(user, password);
        if (added) {
            audit.record(v.username(), "user.add", user, ctx.ip());
        }
        users(ctx, v, added ? "Added " + user + "." : user + " exists already.");
    }

    private void deleteUser(Context ctx) throws Exception {
        Viewer v = requireAdminPost(ctx);
        String user = UserStore.normalise(String.valueOf(ctx.formParam("username")));
        boolean deleted = s.users().delete(user);
        if (deleted) {
            sessions.endAll(user);
            audit.record(v.username(), "user.delete", user, ctx.ip());
        }
        users(ctx, v, deleted ? "Deleted " + user + "." : "No user " + user + ".");
    }

    private void issueCertificate(Context ctx) throws Exception {
        Viewer v = requireAdminPost(ctx);
        String user = UserStore.normalise(String.valueOf(ctx.formParam("username")));
        if (!s.users().exists(user)) {
            users(ctx, v, "No user " + user + ".");
            return;
        }
        if (s.smime().ca().isEmpty()) {
            users(ctx, v, "The built-in CA is not set up (mailseal ca init).");
            return;
        }
        CertDirectory.ValidCert c = s.certs().issue(user, null, null);
        audit.record(v.username(), "certificate.issue", user + " " + c.fingerprint(), ctx.ip());
        users(ctx, v, "Issued a certificate for " + user + ": " + SmimeCerts.describe(c.cert()) + ".");
    }

    // ---- why (not) encrypted ----

    private void why(Context ctx) throws Exception {
        Viewer v = requireAdmin(ctx);
        String recipient = ctx.queryParam("recipient");
        Explainer.Explanation e = null;
        String error = null;
        if (recipient != null && !recipient.isBlank()) {
            try {
                e = s.explainer().explain(org.mailseal.mail.Address.parse(recipient.strip()));
            } catch (IllegalArgumentException bad) {
                error = "Not an address: " + bad.getMessage();
            }
        }
        render(ctx, "why.jte", "viewer", v, "recipient", recipient == null ? "" : recipient, "explanation", e, "error", error);
    }

    // ---- OpenPGP keys ----

    private void keys(Context ctx, Viewer v, List<String> notices) throws Exception {
        List<KeyRow> rows = new ArrayList<>();
        for (PgpKeyStore.Entry e : s.pgp().list(null)) {
            List<String> uids = new ArrayList<>();
            s.pgp().cert(e.fingerprint()).ifPresent(ring -> ring.getPublicKey().getUserIDs().forEachRemaining(uids::add));
            rows.add(new KeyRow(e.fingerprint(), e.emails(), uids, e.algorithm(), e.managed() ? "generated" : "imported or learned", true));
        }
        for (org.mailseal.keys.DiscoveredKeys.Entry e : s.discovered().list()) {
            if (e.kind().equals("openpgp")) {
                rows.add(new KeyRow(e.fingerprint(), List.of(e.email()), List.of(), "", "discovered: " + e.source(), false));
            }
        }
        render(ctx, "keys.jte", "viewer", v, "keys", rows, "notices", notices);
    }

    private void importKeys(Context ctx) throws Exception {
        Viewer v = requireAdminPost(ctx);
        byte[] data;
        var upload = ctx.uploadedFile("file");
        if (upload != null && upload.size() > 0) {
            if (upload.size() > 1 << 20) {
                keys(ctx, v, List.of("The file is over 1 MiB."));
                return;
            }
            try (InputStream in = upload.content()) {
                data = in.readAllBytes();
            }
        } else {
            data = String.valueOf(ctx.formParam("text")).getBytes(StandardCharsets.UTF_8);
        }
        KeyImport.Result r;
        try {
            r = KeyImport.publicKeys(s.pgp(), audit, v.username(), ctx.ip(), data);
        } catch (IOException | RuntimeException e) {
            keys(ctx, v, List.of("Not an OpenPGP key: " + e.getMessage()));
            return;
        }
        List<String> notices = new ArrayList<>();
        r.imported().forEach(c -> notices.add("Imported " + c.fingerprint() + " for " + String.join(", ", c.emails()) + "."));
        r.refused().forEach(why -> notices.add("Refused: " + why));
        keys(ctx, v, notices);
    }

    private void deleteKey(Context ctx) throws Exception {
        Viewer v = requireAdminPost(ctx);
        String fpr = PgpKeyStore.normaliseFpr(String.valueOf(ctx.formParam("fingerprint")));
        boolean deleted = s.pgp().delete(fpr);
        if (deleted) {
            audit.record(v.username(), "key.delete", fpr, ctx.ip());
        }
        keys(ctx, v, List.of(deleted ? "Deleted " + fpr + "." : "No key " + fpr + "."));
    }

    private void exportKey(Context ctx) throws Exception {
        requireAdmin(ctx);
        String file = ctx.pathParam("file");
        if (!file.matches("[0-9A-Fa-f]{40,64}\\.asc")) {
            throw new Refused(HttpStatus.NOT_FOUND, null, "No such key.");
        }
        var ring = s.pgp().cert(file.substring(0, file.length() - 4));
        if (ring.isEmpty()) {
            throw new Refused(HttpStatus.NOT_FOUND, null, "No such key.");
        }
        ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
        ctx.contentType("application/pgp-keys").result(org.mailseal.crypto.pgp.PgpKeys.armor(ring.get().getEncoded()));
    }

    // ---- self-service ----

    private void me(Context ctx, Viewer v, String notice) throws Exception {
        List<String> keys = new ArrayList<>();
        for (PgpKeyStore.Entry e : s.pgp().list(v.username())) {
            keys.add(e.fingerprint() + " (" + e.algorithm() + ", created " + e.created().toString().substring(0, 10) + ")");
        }
        List<String> certs = new ArrayList<>();
        for (SmimeStore.Entry e : s.smime().list(v.username())) {
            certs.add(e.subject() + " — valid until " + e.notAfter().toString().substring(0, 10) + (e.hasKey() ? ", private key held" : ""));
        }
        render(ctx, "me.jte", "viewer", v, "pgpKeys", keys, "certificates", certs, "notice", notice);
    }

    private void downloadPkcs12(Context ctx) throws Exception {
        Viewer v = requireCsrf(ctx);
        String ip = ctx.ip();
        if (!throttle.allowed(v.username(), ip)) {
            ctx.status(HttpStatus.TOO_MANY_REQUESTS);
            me(ctx, v, "Too many wrong passwords. Try again in 15 minutes.");
            return;
        }
        if (!s.users().verify(v.username(), String.valueOf(ctx.formParam("password")))) {
            throttle.failed(v.username(), ip);
            ctx.status(HttpStatus.UNAUTHORIZED);
            me(ctx, v, "That is not your password.");
            return;
        }
        char[] p12 = String.valueOf(ctx.formParam("p12password")).toCharArray();
        if (p12.length < 8) {
            me(ctx, v, "The file's password must have at least 8 characters.");
            return;
        }
        if (s.master() == null) {
            me(ctx, v, "This gateway holds no private keys.");
            return;
        }
        Pkcs12File.Profile profile = "legacy".equals(ctx.formParam("profile")) ? Pkcs12File.Profile.LEGACY : Pkcs12File.Profile.MODERN;
        Optional<UserPkcs12.Export> made = UserPkcs12.export(s.smime(), s.master(), v.username(), p12, profile);
        java.util.Arrays.fill(p12, '\0');
        if (made.isEmpty()) {
            me(ctx, v, "You have no certificate whose private key the gateway holds.");
            return;
        }
        audit.record(v.username(), "pkcs12.download", v.username() + " " + SmimeCerts.fingerprint(made.get().certificate()), ip);
        ctx.header("Content-Disposition", "attachment; filename=\"" + v.username().replaceAll("[^A-Za-z0-9@._-]", "_") + ".p12\"");
        ctx.contentType("application/pkcs12").result(made.get().p12());
    }

    // ---- rendering ----

    private void render(Context ctx, String template, Object... params) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put((String) params[i], params[i + 1]);
        }
        StringOutput out = new StringOutput();
        templates.render(template, m, out);
        ctx.contentType("text/html; charset=utf-8").result(out.toString());
    }

    @Override
    public void close() {
        app.stop();
    }
}
