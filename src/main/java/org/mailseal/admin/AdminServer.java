package org.mailseal.admin;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.mailseal.auth.UserStore;
import org.mailseal.config.HostPort;
import org.mailseal.config.Web;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
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
    private static final String LOGIN = "mailseal_login";

    /**
     * The services the pages and the API use: the stores the CLI works on, and the running gateway's parts
     * (quarantine release, metrics, the mail log). {@code quarantine} and {@code master} are null on a gateway
     * that holds no private keys.
     */
    public record Services(org.mailseal.config.MailsealConfig config, javax.sql.DataSource ds, UserStore users, PgpKeyStore pgp,
                           SmimeStore smime, CertDirectory certs, MasterKey master, org.mailseal.keys.DiscoveredKeys discovered,
                           Explainer explainer, org.mailseal.scan.Quarantine quarantine, Releaser releaser,
                           org.mailseal.metrics.GatewayMetrics metrics, org.mailseal.metrics.MetricHistory history,
                           org.mailseal.maillog.MailLog mailLog) {
    }

    /** Sends a quarantined message on through the running gateway; returns the gateway's reply. */
    public interface Releaser {
        String release(org.mailseal.scan.Quarantine.Entry e) throws Exception;
    }

    private final Web config;
    private final Services s;
    private final Site site;
    private final LoginThrottle throttle = new LoginThrottle(java.time.Clock.systemUTC());
    private final Javalin app;

    public AdminServer(Web config, SSLContext tls, Services services) {
        this.config = config;
        this.s = services;
        WebSessions sessions = new WebSessions(services.ds(), config.sessionIdle());
        this.site = new Site(sessions, new Audit(services.ds()));
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
            ApiTokens tokens = new ApiTokens(services.ds());
            new Api(services, tokens, sessions, site.audit, config.admins()).register(cfg.routes);
            cfg.routes.get("/static/admin.css", this::css);
            cfg.routes.get("/", ctx -> ctx.redirect(site.viewer(ctx).map(v -> v.admin() ? "/admin" : "/me").orElse("/login")));
            cfg.routes.get("/login", this::loginForm);
            cfg.routes.post("/login", this::login);
            cfg.routes.post("/logout", ctx -> {
                Viewer v = site.requireCsrf(ctx);
                sessions.end(ctx.cookie(Site.SESSION));
                clearCookie(ctx, Site.SESSION);
                log.info("logout user=<{}> client=[{}]", v.username(), ctx.ip());
                ctx.redirect("/login", HttpStatus.SEE_OTHER);
            });
            new DashboardPage(site, services).register(cfg.routes);
            new UserPages(site, services, config.admins()).register(cfg.routes);
            new KeyPages(site, services).register(cfg.routes);
            new CertPages(site, services).register(cfg.routes);
            new PolicyPages(site, services).register(cfg.routes);
            new QuarantinePages(site, services).register(cfg.routes);
            new LogPages(site, services).register(cfg.routes);
            new ConfigPage(site, services).register(cfg.routes);
            new TokenPages(site, tokens).register(cfg.routes);
            new SelfService(site, services, throttle).register(cfg.routes);
            cfg.routes.exception(Site.Refused.class, (e, ctx) -> {
                ctx.status(e.status);
                site.render(ctx, "message.jte", "viewer", e.viewer, "title", e.status == HttpStatus.FORBIDDEN ? "Not allowed"
                        : e.status == HttpStatus.NOT_FOUND ? "Not found" : "Error", "text", e.getMessage());
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("web: {} {}: {}", ctx.method(), LogSafe.text(ctx.path()), LogSafe.text(String.valueOf(e.getMessage())));
                ctx.status(HttpStatus.INTERNAL_SERVER_ERROR);
                site.render(ctx, "message.jte", "viewer", null, "title", "Error", "text", "Something went wrong; the log says what.");
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
        site.render(ctx, "login.jte", "token", token, "error", null);
    }

    private void login(Context ctx) throws Exception {
        if (!Site.same(ctx.formParam("token"), ctx.cookie(LOGIN))) {
            throw new Site.Refused(HttpStatus.FORBIDDEN, null, "The form was not sent from this site's page.");
        }
        String user = UserStore.normalise(String.valueOf(ctx.formParam("username")).strip());
        String password = String.valueOf(ctx.formParam("password"));
        String ip = ctx.ip();
        if (!throttle.allowed(user, ip)) {
            log.info("login refused: too many failures: user=<{}> client=[{}]", LogSafe.text(user), ip);
            ctx.status(HttpStatus.TOO_MANY_REQUESTS);
            site.render(ctx, "login.jte", "token", fresh(ctx), "error", "Too many failed logins. Try again in 15 minutes.");
            return;
        }
        if (!s.users().verify(user, password)) {
            throttle.failed(user, ip);
            log.info("login failed: user=<{}> client=[{}]", LogSafe.text(user), ip);
            ctx.status(HttpStatus.UNAUTHORIZED);
            site.render(ctx, "login.jte", "token", fresh(ctx), "error", "Wrong address or password.");
            return;
        }
        throttle.succeeded(user);
        site.sessions.end(ctx.cookie(Site.SESSION)); // whatever session id the browser had, it is not reused (no fixation)
        boolean admin = config.admins().contains(user);
        WebSessions.Created c = site.sessions.create(user, admin);
        setCookie(ctx, Site.SESSION, c.cookie());
        clearCookie(ctx, LOGIN);
        log.info("login user=<{}>{} client=[{}]", user, admin ? " (admin)" : "", ip);
        ctx.redirect(admin ? "/admin" : "/me", HttpStatus.SEE_OTHER);
    }

    private String fresh(Context ctx) {
        String token = WebSessions.random();
        setCookie(ctx, LOGIN, token);
        return token;
    }

    @Override
    public void close() {
        app.stop();
    }
}
