package org.mailseal.admin;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.mailseal.logging.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every page shares: who is looking ({@link WebSessions}), the checks a request must pass (logged in,
 * admin, the form's CSRF token), the audit log, and rendering through the precompiled jte templates (every
 * value HTML-escaped).
 */
final class Site {

    private static final Logger log = LoggerFactory.getLogger("web");
    static final String SESSION = "mailseal_session";

    final WebSessions sessions;
    final Audit audit;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);

    Site(WebSessions sessions, Audit audit) {
        this.sessions = sessions;
        this.audit = audit;
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

    Optional<Viewer> viewer(Context ctx) throws SQLException {
        return sessions.find(ctx.cookie(SESSION));
    }

    Viewer requireUser(Context ctx) throws SQLException {
        Optional<Viewer> v = viewer(ctx);
        if (v.isEmpty()) {
            ctx.redirect("/login");
            throw new Refused(HttpStatus.FOUND, null, "log in first");
        }
        return v.get();
    }

    Viewer requireAdmin(Context ctx) throws SQLException {
        Viewer v = requireUser(ctx);
        if (!v.admin()) {
            log.info("refused: user=<{}> is not an admin: {} {} client=[{}]", v.username(), ctx.method(), LogSafe.text(ctx.path()), ctx.ip());
            throw new Refused(HttpStatus.FORBIDDEN, v, "This page is for administrators.");
        }
        return v;
    }

    /** The viewer of a state-changing POST, whose form carries the session's CSRF token. */
    Viewer requireCsrf(Context ctx) throws SQLException {
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

    Viewer requireAdminPost(Context ctx) throws SQLException {
        Viewer v = requireCsrf(ctx);
        if (!v.admin()) {
            log.info("refused: user=<{}> is not an admin: {} {} client=[{}]", v.username(), ctx.method(), LogSafe.text(ctx.path()), ctx.ip());
            throw new Refused(HttpStatus.FORBIDDEN, v, "This is for administrators.");
        }
        return v;
    }

    static boolean same(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** A form field, stripped; empty when absent. */
    static String field(Context ctx, String name) {
        String v = ctx.formParam(name);
        return v == null ? "" : v.strip();
    }

    /**
     * The end of a change that may have found nothing to do: audited only when it {@code did} something,
     * then back to {@code path} saying which (Post/Redirect/Get).
     */
    void outcome(Viewer v, Context ctx, boolean did, String action, String target, String path, String done, String nothing) throws SQLException {
        if (did) {
            audit(v, ctx, action, target);
        }
        redirect(ctx, path, did ? done : nothing);
    }

    void audit(Viewer v, Context ctx, String action, String target) throws SQLException {
        audit.record(v.username(), action, target, ctx.ip());
    }

    /**
     * After a change: Post/Redirect/Get, so that reloading the page does not repeat it; the notice travels in
     * the query string (shown escaped).
     */
    static void redirect(Context ctx, String path, String notice) {
        redirectAll(ctx, path, java.util.List.of(notice));
    }

    /**
     * The notices a redirect carried, if any: only those this server wrote for this browser's session (their
     * {@code ns} is an HMAC keyed by the session cookie), so a link made elsewhere cannot put text of its
     * choosing on an administrator's page.
     */
    static java.util.List<String> notices(Context ctx) {
        java.util.List<String> given = ctx.queryParams("notice").stream().limit(50).map(n -> n.length() > 500 ? n.substring(0, 500) : n).toList();
        String seal = ctx.queryParam("ns");
        String expected = given.isEmpty() ? null : seal(ctx, given);
        if (expected == null || seal == null || !java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                seal.getBytes(StandardCharsets.US_ASCII))) {
            return java.util.List.of();
        }
        return given.stream().filter(n -> !n.isBlank()).toList();
    }

    /** Notices after a change (Post/Redirect/Get), sealed for this session. */
    static void redirectAll(Context ctx, String path, java.util.List<String> notices) {
        java.util.List<String> kept = notices.stream().limit(50).map(n -> n.length() > 500 ? n.substring(0, 500) : n).toList();
        String seal = kept.isEmpty() ? null : seal(ctx, kept);
        String query = seal == null ? "" : kept.stream().map(n -> "notice=" + java.net.URLEncoder.encode(n, StandardCharsets.UTF_8))
                .reduce((x, y) -> x + "&" + y).orElse("") + "&ns=" + seal;
        ctx.redirect(path + (query.isEmpty() ? "" : (path.contains("?") ? "&" : "?") + query), HttpStatus.SEE_OTHER);
    }

    /** HMAC-SHA256 of the notices under the session cookie's value; null without a session. */
    private static String seal(Context ctx, java.util.List<String> notices) {
        String cookie = ctx.cookie(SESSION);
        if (cookie == null || cookie.isEmpty()) {
            return null;
        }
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(("notices\0" + cookie).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            for (String n : notices) {
                mac.update(n.getBytes(StandardCharsets.UTF_8));
                mac.update((byte) 0);
            }
            return java.util.HexFormat.of().formatHex(mac.doFinal());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The key a form sent: the uploaded file (field {@code file}, at most 1 MiB) or else the pasted text (field
     * {@code text}); null when the file was too large, with the redirect to {@code back} already answered.
     */
    static byte[] uploadOrText(Context ctx, String back) throws java.io.IOException {
        var upload = ctx.uploadedFile("file");
        if (upload != null && upload.size() > 0) {
            if (upload.size() > 1 << 20) {
                redirect(ctx, back, "The file is over 1 MiB.");
                return null;
            }
            try (java.io.InputStream in = upload.content()) {
                return in.readAllBytes();
            }
        }
        String text = ctx.formParam("text");
        return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    }

    void render(Context ctx, String template, Object... params) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put((String) params[i], params[i + 1]);
        }
        StringOutput out = new StringOutput();
        templates.render(template, m, out);
        ctx.contentType("text/html; charset=utf-8").result(out.toString());
    }

    void show(Context ctx, Viewer v, View view) {
        render(ctx, "view.jte", "viewer", v, "view", view);
    }
}
