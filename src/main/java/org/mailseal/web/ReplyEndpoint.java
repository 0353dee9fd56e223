package org.mailseal.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.mailseal.config.PdfReply;
import org.mailseal.logging.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secure reply form of PDF mail, on its own HTTPS listener. {@code GET /reply?t=TOKEN} shows a form
 * for a valid one-time token; {@code POST /reply} takes the reply, uses the token, and hands the reply
 * to the gateway, which delivers it to the sender like inbound mail (encrypted at rest where policy
 * says). The form is protected against cross-site posting by a double-submit value (a SameSite=Strict
 * cookie that must equal the form's hidden field), every value shown is HTML-escaped, the page allows
 * no scripts, frames or remote content (Content-Security-Policy), and each client address has a budget
 * of requests per minute.
 */
public final class ReplyEndpoint implements AutoCloseable {

    /** Hands a reply on; true once the next hop took it. */
    public interface Submit {
        boolean submit(String clientAddress, ReplyTokens.Link link, String text) throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger("reply");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COOKIE = "mailseal_csrf";

    private final HttpServer server;
    private final ReplyTokens tokens;
    private final Submit submit;
    private final PdfReply settings;
    private final Map<String, long[]> budget = new ConcurrentHashMap<>();

    public ReplyEndpoint(PdfReply settings, SSLContext tls, ReplyTokens tokens, Submit submit) throws IOException {
        this.settings = settings;
        this.tokens = tokens;
        this.submit = submit;
        InetSocketAddress at = new InetSocketAddress(settings.listen().host(), settings.listen().port());
        if (settings.tls()) {
            HttpsServer s = HttpsServer.create(at, 32);
            s.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = s;
        } else {
            server = HttpServer.create(at, 32);
        }
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "reply-form");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
    }

    public ReplyEndpoint start() {
        server.start();
        log.info("reply form listening on {}", server.getAddress());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String client = ex.getRemoteAddress().getAddress().getHostAddress();
            if (!allowed(client)) {
                page(ex, 429, "Too many requests", "<p>Too many requests from your address. Please wait a minute.</p>", null);
                return;
            }
            if (!ex.getRequestURI().getPath().equals("/reply")) {
                page(ex, 404, "Not found", "<p>There is nothing here.</p>", null);
                return;
            }
            switch (ex.getRequestMethod()) {
                case "GET" -> form(ex);
                case "POST" -> post(ex, client);
                default -> {
                    ex.getResponseHeaders().set("Allow", "GET, POST");
                    page(ex, 405, "Not allowed", "<p>Method not allowed.</p>", null);
                }
            }
        } catch (Exception e) {
            log.error("reply form: internal error", e);
        }
    }

    private void form(HttpExchange ex) throws Exception {
        String token = query(ex.getRequestURI().getRawQuery()).get("t");
        Optional<ReplyTokens.Link> link = tokens.valid(token);
        if (link.isEmpty()) {
            gone(ex);
            return;
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        ReplyTokens.Link l = link.get();
        String body = "<p>Reply to <b>" + html(l.sender()) + "</b>, as <b>" + html(l.recipient()) + "</b>, about “" + html(l.subject())
                + "”.</p>\n<p>Your reply is delivered to the sender encrypted. This form works once.</p>\n"
                + "<form method=\"post\" action=\"/reply\">\n"
                + "<input type=\"hidden\" name=\"t\" value=\"" + html(token) + "\">\n"
                + "<input type=\"hidden\" name=\"csrf\" value=\"" + csrf + "\">\n"
                + "<textarea name=\"text\" rows=\"16\" cols=\"72\" maxlength=\"" + settings.maxReplyChars() + "\" required></textarea><br>\n"
                + "<button type=\"submit\">Send reply</button>\n</form>\n";
        page(ex, 200, "Secure reply", body, COOKIE + "=" + csrf + "; Path=/reply; HttpOnly; SameSite=Strict" + (settings.tls() ? "; Secure" : ""));
    }

    private void post(HttpExchange ex, String client) throws Exception {
        int limit = settings.maxReplyChars() * 9 + 4096; // percent-encoded UTF-8 at worst, and the other fields
        byte[] raw;
        try (InputStream in = ex.getRequestBody()) {
            raw = in.readNBytes(limit + 1);
        }
        if (raw.length > limit) {
            page(ex, 413, "Too long", "<p>The reply is too long.</p>", null);
            return;
        }
        Map<String, String> form = query(new String(raw, StandardCharsets.US_ASCII));
        String token = form.get("t");
        String csrf = form.get("csrf");
        String cookie = cookie(ex.getRequestHeaders().getFirst("Cookie"));
        if (csrf == null || cookie == null || !MessageDigest.isEqual(csrf.getBytes(StandardCharsets.US_ASCII), cookie.getBytes(StandardCharsets.US_ASCII))) {
            log.warn("reply form: POST from {} without the form's check value; refused", client);
            page(ex, 403, "Refused", "<p>This reply did not come from the reply form. Open the link in the PDF again.</p>", null);
            return;
        }
        String text = form.getOrDefault("text", "");
        if (text.isBlank() || text.length() > settings.maxReplyChars()) {
            page(ex, 400, "Empty or too long", "<p>Write a reply of at most " + settings.maxReplyChars() + " characters.</p>", null);
            return;
        }
        Optional<ReplyTokens.Link> link = tokens.valid(token);
        if (link.isEmpty() || !tokens.use(token)) {
            gone(ex);
            return;
        }
        boolean sent;
        try {
            sent = submit.submit(client, link.get(), text);
        } catch (Exception e) {
            log.error("reply form: reply from <{}> to <{}> could not be handed on", LogSafe.text(link.get().recipient()), LogSafe.text(link.get().sender()), e);
            sent = false;
        }
        if (!sent) {
            tokens.release(token);
            page(ex, 503, "Not sent", "<p>Your reply could not be sent just now. Please try again in a few minutes.</p>", null);
            return;
        }
        page(ex, 200, "Sent", "<p>Your reply was sent to " + html(link.get().sender()) + ". You can close this page.</p>", null);
    }

    private void gone(HttpExchange ex) throws IOException {
        page(ex, 410, "Link not valid", "<p>This reply link is not valid: it was used already, or it expired.</p>", null);
    }

    private boolean allowed(String client) {
        long minute = System.currentTimeMillis() / 60_000;
        long[] b = budget.compute(client, (k, v) -> v == null || v[0] != minute ? new long[] {minute, 1} : new long[] {minute, v[1] + 1});
        if (budget.size() > 10_000) {
            budget.entrySet().removeIf(e -> e.getValue()[0] != minute);
        }
        return b[1] <= settings.perMinute();
    }

    private static void page(HttpExchange ex, int status, String title, String body, String setCookie) throws IOException {
        byte[] html = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html(title) + "</title></head>\n<body>\n<h1>"
                + html(title) + "</h1>\n" + body + "</body></html>\n").getBytes(StandardCharsets.UTF_8);
        var h = ex.getResponseHeaders();
        h.set("Content-Type", "text/html; charset=utf-8");
        h.set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer"); // the token is in the URL
        h.set("Cache-Control", "no-store");
        if (setCookie != null) {
            h.set("Set-Cookie", setCookie);
        }
        ex.sendResponseHeaders(status, html.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(html);
        }
    }

    static String html(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static Map<String, String> query(String q) {
        Map<String, String> out = new HashMap<>();
        if (q == null) {
            return out;
        }
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                try {
                    out.putIfAbsent(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException malformed) {
                    // a broken escape: that field is left out
                }
            }
        }
        return out;
    }

    private static String cookie(String header) {
        if (header == null) {
            return null;
        }
        for (String c : header.split(";")) {
            String t = c.strip();
            if (t.startsWith(COOKIE + "=")) {
                return t.substring(COOKIE.length() + 1);
            }
        }
        return null;
    }
}
