package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.action.PDActionURI;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.store.Database;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;
import org.mailseal.testkit.TrustAll;
import org.mailseal.web.ReplyTokens;

/**
 * The secure reply path, over HTTPS against the running gateway: the PDF's link opens the form, a reply
 * reaches the sender encrypted (the sender's policy says encrypt), a link works once, an expired one
 * not at all, a post without the form's check value is refused, everything shown is escaped, and a
 * client that asks too often is told to wait.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class PdfReplyTest {

    static final String PW = "Reply-test-PDF-password-3";
    Path dir;
    Path cfg;
    CapturingSink sink;
    Gateway gw;
    int port;
    int web;

    @BeforeAll
    void setUp() throws Exception {
        dir = Files.createTempDirectory("pdf-reply");
        sink = new CapturingSink();
        port = TestGateway.freePort();
        web = TestGateway.freePort();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), port, 0, sink.port(),
                "networks: {trusted: [127.0.0.0/8], xforward: [127.0.0.0/8]}",
                TestGateway.masterKeys(dir, "pdf reply master"),
                "pdf: {fallback: true, reply: {enabled: true, listen: \"127.0.0.1:" + web + "\", url: \"https://127.0.0.1:" + web
                        + "\", perMinute: 25}}"));
        String c = cfg.toString();
        assertThat(Cli.runWithInput(PW + "\n", "pdf", "password", "--email", "carol@partner.test", "--password-file", "-", "-c", c).code()).isZero();
        assertThat(Cli.run("keys", "generate", "--email", "alice@example.com", "-c", c).code()).isZero();
        assertThat(Cli.run("policy", "set", "--email", "alice@example.com", "encrypt=mandatory", "-c", c).code()).isZero();
        gw = TestGateway.start(Files.readString(cfg));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (dir != null) {
            Cmd.run("rm", "-rf", dir.toString());
        }
    }

    record Response(int status, String body, Map<String, List<String>> headers) {
        String header(String name) {
            // The JDK's server writes "Referrer-policy" (first letter capital): names are case-insensitive.
            return headers.entrySet().stream().filter(e -> e.getKey() != null && e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    @Test
    void theLinkInThePdfOpensTheFormAndTheReplyReachesTheSenderEncryptedOnce() throws Exception {
        String link = linkInPdf(sendToCarol("figures <img src=x onerror=alert(1)>"));
        assertThat(link).startsWith("https://127.0.0.1:" + web + "/reply?t=");

        Response form = request("GET", link, null, null);
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.header("Content-Security-Policy")).contains("default-src 'none'");
        assertThat(form.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(form.body()).contains("alice@example.com").contains("carol@partner.test")
                .contains("figures &lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img");
        String cookie = form.header("Set-Cookie");
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Secure");
        String csrf = field(form.body(), "csrf");
        String token = field(form.body(), "t");

        String reply = "Thanks <script>alert(1)</script>, the reply canary 7781";
        Response noCheck = request("POST", base() + "/reply", "t=" + token + "&text=" + enc(reply), null);
        assertThat(noCheck.status()).as("no cookie, no hidden value: refused").isEqualTo(403);
        Response wrongCheck = request("POST", base() + "/reply", "t=" + token + "&csrf=other&text=" + enc(reply), cookie.split(";")[0]);
        assertThat(wrongCheck.status()).isEqualTo(403);

        int before = sink.messages.size();
        Response sent = request("POST", base() + "/reply", "t=" + token + "&csrf=" + csrf + "&text=" + enc(reply), cookie.split(";")[0]);
        assertThat(sent.status()).as(sent.body()).isEqualTo(200);
        assertThat(sent.body()).contains("Your reply was sent");
        assertThat(sink.messages.size()).isEqualTo(before + 1);
        CapturingSink.Received got = sink.messages.get(before);
        assertThat(got.rcptTo()).containsExactly("RCPT TO:<alice@example.com>");
        assertThat(got.mailFrom()).startsWith("MAIL FROM:<carol@partner.test>");
        assertThat(got.text()).contains("multipart/encrypted").doesNotContain("reply canary");

        assertThat(request("GET", link, null, null).status()).as("used: the link is gone").isEqualTo(410);
        assertThat(request("POST", base() + "/reply", "t=" + token + "&csrf=" + csrf + "&text=again", cookie.split(";")[0]).status())
                .isEqualTo(410);
        assertThat(sink.messages.size()).isEqualTo(before + 1);
    }

    @Test
    void anExpiredOrUnknownLinkIsRefused() throws Exception {
        String token;
        try (Database db = Database.open(ConfigLoader.load(cfg))) {
            token = new ReplyTokens(db.dataSource()).create(new ReplyTokens.Link("carol@partner.test", "alice@example.com", "old", "<old@x>"),
                    Duration.ofMillis(300));
        }
        Thread.sleep(600);
        assertThat(request("GET", base() + "/reply?t=" + token, null, null).status()).isEqualTo(410);
        assertThat(request("GET", base() + "/reply?t=" + "A".repeat(43), null, null).status()).isEqualTo(410);
        assertThat(request("GET", base() + "/reply?t=%3Cscript%3E", null, null).body()).doesNotContain("<script>");
        assertThat(request("GET", base() + "/other", null, null).status()).isEqualTo(404);
        assertThat(request("PUT", base() + "/reply", "x", null).status()).isEqualTo(405);
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last (unordered tests come at MAX_VALUE / 2): it spends this client's budget for the minute
    void aClientAskingTooOftenIsToldToWait() throws Exception {
        int status = 0;
        for (int i = 0; i < 40 && status != 429; i++) {
            status = request("GET", base() + "/reply?t=x", null, null).status();
        }
        assertThat(status).isEqualTo(429);
    }

    @Test
    void withoutTheReplyFormThePdfHasNoLink() throws Exception {
        // PdfFlowTest's gateway has no reply form; here the form is on: the carrier's PDF has exactly one link.
        byte[] pdf = pdfOf(sendToCarol("one link"));
        try (PDDocument doc = Loader.loadPDF(pdf, PW)) {
            long links = doc.getPage(0).getAnnotations().stream().filter(a -> a instanceof PDAnnotationLink).count();
            assertThat(links).isEqualTo(1);
        }
    }

    private String base() {
        return "https://127.0.0.1:" + web;
    }

    private String sendToCarol(String subject) throws Exception {
        int before = sink.messages.size();
        String msg = "From: alice@example.com\r\nTo: <carol@partner.test>\r\nSubject: " + subject + "\r\nMessage-ID: <r" + System.nanoTime()
                + "@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nthe figures\r\n";
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO client.example.com");
            c.expect("250");
            assertThat(c.sendMail("alice@example.com", List.of("carol@partner.test"), msg)).startsWith("250");
        }
        assertThat(sink.messages.size()).isEqualTo(before + 1);
        return sink.messages.get(before).text();
    }

    private static byte[] pdfOf(String carrier) throws Exception {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(carrier.getBytes(StandardCharsets.UTF_8)));
        try (InputStream in = ((Multipart) m.getContent()).getBodyPart(1).getInputStream()) {
            return in.readAllBytes();
        }
    }

    private static String linkInPdf(String carrier) throws Exception {
        try (PDDocument doc = Loader.loadPDF(pdfOf(carrier), PW)) {
            for (PDAnnotation a : doc.getPage(0).getAnnotations()) {
                if (a instanceof PDAnnotationLink l && l.getAction() instanceof PDActionURI u) {
                    return u.getURI();
                }
            }
        }
        throw new AssertionError("no link in the PDF");
    }

    private static String field(String html, String name) {
        Matcher m = Pattern.compile("name=\"" + name + "\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as("hidden field " + name).isTrue();
        return m.group(1);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** HTTPS to the test gateway's self-signed certificate. */
    private static Response request(String method, String url, String form, String cookie) throws Exception {
        SSLContext ctx = TrustAll.context();
        HttpsURLConnection c = (HttpsURLConnection) URI.create(url).toURL().openConnection();
        c.setSSLSocketFactory(ctx.getSocketFactory());
        c.setHostnameVerifier((h, s) -> true);
        c.setRequestMethod(method);
        if (cookie != null) {
            c.setRequestProperty("Cookie", cookie);
        }
        if (form != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
            try (OutputStream o = c.getOutputStream()) {
                o.write(form.getBytes(StandardCharsets.US_ASCII));
            }
        }
        int status = c.getResponseCode();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return new Response(status, body, c.getHeaderFields());
    }
}
