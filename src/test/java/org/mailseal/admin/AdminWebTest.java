package org.mailseal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestGateway;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web admin in a real browser (Debian's chromium, headless, through chromedriver): the admin logs in,
 * adds a user and issues them a certificate; the user logs in, sees it, and downloads their PKCS#12, which
 * {@code openssl pkcs12} reads. And over plain HTTPS: a user on an admin page or a POST without the CSRF
 * token gets 403, a Subject-like value with {@code <script>} is shown escaped, the session id changes at
 * login, and the sixth wrong password in a row is refused outright.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"chromium=chromium", "chromedriver=chromium-driver", "openssl=openssl"})
class AdminWebTest {

    Path dir;
    Path cfg;
    Path downloads;
    Path shots;
    CapturingSink sink;
    Gateway gw;
    String base;
    int smtpPort;
    WebDriver browser;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("chromium", "chromium");
        Peers.require("chromedriver", "chromium-driver");
        Peers.require("openssl", "openssl");
        dir = Files.createTempDirectory("web");
        downloads = Files.createDirectories(dir.resolve("downloads"));
        shots = Files.createDirectories(Path.of("target", "screenshots"));
        sink = new CapturingSink();
        int webPort = TestGateway.freePort();
        org.mailseal.testkit.TestCa tls = org.mailseal.testkit.TestCa.make(dir.resolve("ca"), "localhost");
        cfg = dir.resolve("mailseal.yml");
        smtpPort = TestGateway.freePort();
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), smtpPort, 0, sink.port(), TestGateway.masterKeys(dir, "web master passphrase"), "policy: {encrypt: mandatory}",
                "web: {enabled: true, listen: \"127.0.0.1:" + webPort + "\", admins: [admin@example.com], certificate: \"" + tls.certificate()
                        + "\", privateKey: \"" + tls.pkcs8Key() + "\"}"));
        Path pw = dir.resolve("admin.pass");
        Files.writeString(pw, "admin password 1\n");
        assertThat(Cli.run("users", "add", "admin@example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isZero();
        assertThat(Cli.run("ca", "init", "-c", cfg.toString()).code()).isZero();
        gw = TestGateway.start(Files.readString(cfg));
        base = "https://localhost:" + gw.web().port();

        ChromeOptions o = new ChromeOptions();
        o.setBinary("/usr/bin/chromium");
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900");
        o.setAcceptInsecureCerts(true); // the gateway's self-signed certificate
        o.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, o);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        Cleanup.all(dir, gw, sink);
    }

    void shot(String name) throws Exception {
        Files.write(shots.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Clicks a button that submits a form and waits until the next page replaced this one: chromedriver does not always
     * wait for the navigation a click starts (CI once read the old page).
     */
    void submit(By button) {
        org.openqa.selenium.JavascriptExecutor js = (org.openqa.selenium.JavascriptExecutor) browser;
        js.executeScript("window.mailsealOldPage = true"); // a new document has no such mark
        browser.findElement(button).click();
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.WebDriverException.class)
                .until(d -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) d)
                        .executeScript("return window.mailsealOldPage === undefined && document.readyState === 'complete'")));
    }

    void login(String user, String password) {
        browser.get(base + "/login");
        browser.findElement(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        submit(By.id("login"));
    }

    @Test
    @Order(1)
    void adminAddsAUserIssuesACertificateAndTheUserDownloadsTheirPkcs12() throws Exception {
        login("admin@example.com", "admin password 1");
        assertThat(browser.getCurrentUrl()).endsWith("/admin");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Dashboard");
        shot("dashboard");
        browser.get(base + "/admin/users");
        browser.findElement(By.id("new-username")).sendKeys("bob@example.com");
        browser.findElement(By.id("new-password")).sendKeys("bob password 1");
        submit(By.id("add-user"));
        assertThat(browser.findElement(By.id("notice")).getText()).isEqualTo("Added bob@example.com.");
        submit(By.cssSelector("tr[data-user='bob@example.com'] button.issue"));
        assertThat(browser.findElement(By.id("notice")).getText()).startsWith("Issued a certificate for bob@example.com");
        shot("users");
        // a notice in a link made elsewhere (a phishing text on the admin's own page) is not shown; the real one
        // came with its seal for this session, which a reused seal from another text does not fit either
        String sealed = browser.getCurrentUrl();
        assertThat(sealed).contains("&ns=");
        browser.get(base + "/admin/users?notice=" + java.net.URLEncoder.encode("Your password expired: call 555-0100", StandardCharsets.UTF_8));
        assertThat(browser.findElements(By.id("notice"))).isEmpty();
        browser.get(base + "/admin/users?notice=" + java.net.URLEncoder.encode("Your password expired: call 555-0100", StandardCharsets.UTF_8)
                + sealed.substring(sealed.indexOf("&ns=")));
        assertThat(browser.findElements(By.id("notice"))).isEmpty();
        browser.get(sealed);
        assertThat(browser.findElement(By.id("notice")).getText()).startsWith("Issued a certificate for bob@example.com");
        submit(By.id("logout"));
        assertThat(browser.getCurrentUrl()).endsWith("/login");

        login("bob@example.com", "bob password 1");
        assertThat(browser.getCurrentUrl()).endsWith("/me");
        assertThat(browser.findElement(By.id("certificates")).getText()).contains("bob@example.com", "private key held");
        browser.findElement(By.id("current-password")).sendKeys("bob password 1");
        browser.findElement(By.id("p12-password")).sendKeys("file password 1");
        shot("my-keys");
        browser.findElement(By.id("download-p12")).click();
        Path p12 = downloads.resolve("bob@example.com.p12");
        for (int i = 0; i < 100 && !Files.exists(p12); i++) {
            Thread.sleep(100);
        }
        assertThat(p12).exists();
        String read = Cmd.run("openssl", "pkcs12", "-in", p12.toString(), "-passin", "pass:file password 1", "-nokeys").ok("openssl pkcs12").outText();
        assertThat(read).contains("bob@example.com", "BEGIN CERTIFICATE");
        // and bob may not see the admin pages
        browser.get(base + "/admin/users");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Not allowed");
    }

    /** A plain HTTPS client with its own cookies (trusting the gateway's self-signed certificate). */
    HttpClient client() throws Exception {
        return HttpClient.newBuilder().sslContext(org.mailseal.testkit.TrustAll.context()).cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    static String form(Map<String, String> f) {
        return f.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    HttpResponse<String> post(HttpClient c, String path, Map<String, String> f) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(f))).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(HttpClient c, String path) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** After a change the answer is 303 See Other (Post/Redirect/Get): the page it points to. */
    HttpResponse<String> follow(HttpClient c, HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
        return get(c, r.headers().firstValue("location").orElseThrow());
    }

    static String field(String html, String name) {
        Matcher m = Pattern.compile("name=\"" + name + "\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as(name + " in the page").isTrue();
        return m.group(1);
    }

    /** Logs {@code c} in; returns the session cookie's value. */
    String login(HttpClient c, String user, String password) throws Exception {
        String token = field(get(c, "/login").body(), "token");
        HttpResponse<String> r = post(c, "/login", Map.of("token", token, "username", user, "password", password));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
        return r.headers().allValues("set-cookie").stream().filter(h -> h.startsWith("mailseal_session=")).findFirst().orElseThrow();
    }

    @Test
    @Order(2)
    void csrfRolesEscapingFixationAndThrottling() throws Exception {
        HttpClient admin = client();
        String first = login(admin, "admin@example.com", "admin password 1");
        assertThat(first).contains("Secure", "HttpOnly", "SameSite=Strict");
        // a second login gets another session id: an id planted before login is never the session after it
        String second = login(admin, "admin@example.com", "admin password 1");
        assertThat(second.substring(0, second.indexOf(';'))).isNotEqualTo(first.substring(0, first.indexOf(';')));
        HttpResponse<String> page = get(admin, "/admin/users");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("default-src 'none'", "frame-ancestors 'none'");
        // no CSRF token, or a wrong one: refused, nothing changed
        assertThat(post(admin, "/admin/users", Map.of("username", "mallory@example.com", "password", "mallory pass 1")).statusCode()).isEqualTo(403);
        assertThat(post(admin, "/admin/users", Map.of("csrf", "forged", "username", "mallory@example.com", "password", "mallory pass 1")).statusCode())
                .isEqualTo(403);
        assertThat(get(admin, "/admin/users").body()).doesNotContain("mallory@example.com");
        // what a user typed is shown escaped
        String csrf = field(page.body(), "csrf");
        HttpResponse<String> xss = follow(admin, post(admin, "/admin/users", Map.of("csrf", csrf, "username", "<script>alert(1)</script>", "password", "whatever 1")));
        assertThat(xss.body()).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>");
        // a user on an admin page, or posting to an admin action with their own valid token
        HttpClient bob = client();
        login(bob, "bob@example.com", "bob password 1");
        assertThat(get(bob, "/admin").statusCode()).isEqualTo(403);
        String bobCsrf = field(get(bob, "/me").body(), "csrf");
        assertThat(post(bob, "/admin/users/delete", Map.of("csrf", bobCsrf, "username", "admin@example.com")).statusCode()).isEqualTo(403);
        assertThat(get(admin, "/admin/users").body()).contains("admin@example.com");
        // five wrong passwords, then even the right one is refused for a while
        HttpClient guesser = client();
        for (int i = 0; i < 5; i++) {
            String token = field(get(guesser, "/login").body(), "token");
            assertThat(post(guesser, "/login", Map.of("token", token, "username", "carol@example.com", "password", "guess " + i)).statusCode()).isEqualTo(401);
        }
        String token = field(get(guesser, "/login").body(), "token");
        assertThat(post(guesser, "/login", Map.of("token", token, "username", "carol@example.com", "password", "guess 6")).statusCode()).isEqualTo(429);
        // the audit log has the admin's actions, with who and from where
        try (org.mailseal.store.Database db = org.mailseal.store.Database.open(org.mailseal.config.ConfigLoader.load(cfg))) {
            assertThat(new Audit(db.dataSource()).latest(20)).anyMatch(e -> e.actor().equals("admin@example.com") && e.action().equals("user.add")
                    && e.target().equals("bob@example.com") && e.client().equals("127.0.0.1"))
                    .anyMatch(e -> e.actor().equals("admin@example.com") && e.action().equals("certificate.issue"))
                    .anyMatch(e -> e.actor().equals("bob@example.com") && e.action().equals("pkcs12.download"))
                    .noneMatch(e -> e.target().contains("mallory"));
        }
    }

    @Test
    @Order(3)
    void aKeyImportedByUploadEncryptsAndItsUserIdIsShownEscaped() throws Exception {
        org.mailseal.testkit.Gpg carol = new org.mailseal.testkit.Gpg(dir.resolve("carol"));
        try {
            carol.run("--passphrase", "", "--quick-gen-key", "<carol@example.com>", "future-default", "default", "never").ok("gpg key");
            carol.run("--passphrase", "", "--quick-gen-key", "\"<script>alert(1)</script>\" <eve@example.com>", "future-default", "default", "never")
                    .ok("gpg key with a hostile user ID");
            Path file = dir.resolve("keys.asc");
            Files.write(file, carol.run("--armor", "--export").ok("export").out());
            login("admin@example.com", "admin password 1");
            browser.get(base + "/admin/keys");
            browser.findElement(By.id("key-file")).sendKeys(file.toString());
            submit(By.id("import-keys"));
            assertThat(browser.findElements(By.className("notice")).stream().map(org.openqa.selenium.WebElement::getText).toList())
                    .hasSize(2).allMatch(n -> n.startsWith("Imported "));
            shot("keys");
            String html = browser.getPageSource();
            assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert(1)");
            assertThat(browser.findElement(By.id("keys")).getText()).contains("carol@example.com", "eve@example.com");

            int before = sink.messages.size();
            assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "mx.sender.test", "bob@sender.test", "carol@example.com",
                    "From: bob@sender.test\r\nTo: carol@example.com\r\nSubject: to the uploaded key\r\n\r\nfor carol only\r\n")).startsWith("250");
            String got = sink.messages.get(before).text();
            assertThat(got).contains("multipart/encrypted").doesNotContain("for carol only");
            Path enc = dir.resolve("carol.asc");
            Files.write(enc, org.mailseal.testkit.ByteExact.armoredPart(got));
            assertThat(carol.run("--decrypt", enc.toString()).ok("decrypt").outText()).contains("for carol only");
        } finally {
            carol.stop();
        }
    }

    String ask(String recipient) {
        browser.get(base + "/admin/why");
        browser.findElement(By.id("why-recipient")).clear();
        browser.findElement(By.id("why-recipient")).sendKeys(recipient);
        submit(By.id("why-ask"));
        if (!browser.findElements(By.id("why-error")).isEmpty()) {
            throw new AssertionError("the why tool refused " + recipient + ": " + browser.findElement(By.id("why-error")).getText());
        }
        return browser.findElement(By.id("why-action")).getText();
    }

    @Test
    @Order(4)
    void theWhyToolAgreesWithWhatThePipelineThenDoes() throws Exception {
        login("admin@example.com", "admin password 1");
        // carol has the key uploaded before: the tool names it, and the next mail is encrypted to exactly it
        String action = ask("carol@example.com");
        shot("why");
        assertThat(browser.findElement(By.id("why-direction")).getText()).startsWith("inbound");
        assertThat(action).matches("encrypt with OpenPGP to key [0-9A-F]{40}");
        assertThat(browser.findElement(By.id("why-because")).getText()).contains("encrypt=mandatory");
        String fpr = action.substring(action.lastIndexOf(' ') + 1);
        int before = sink.messages.size();
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "mx.sender.test", "bob@sender.test", "carol@example.com",
                "From: bob@sender.test\r\nTo: carol@example.com\r\nSubject: as foretold\r\n\r\nas foretold\r\n")).startsWith("250");
        String got = sink.messages.get(before).text();
        org.mailseal.testkit.Gpg carol = new org.mailseal.testkit.Gpg(dir.resolve("carol"));
        try {
            Path enc = dir.resolve("carol2.asc");
            Files.write(enc, org.mailseal.testkit.ByteExact.armoredPart(got));
            assertThat(carol.run("--decrypt", enc.toString()).ok("decrypt").outText()).contains("X-Mailseal-Info: <carol@example.com> encrypted to OpenPGP key " + fpr);
        } finally {
            carol.stop();
        }
        // someone who is no user and has no key: refused, says the tool; and so it is
        String refuse = ask("nobody@example.com");
        assertThat(refuse).startsWith("refuse it: 550 5.7.1");
        try (org.mailseal.testkit.SmtpClient c = new org.mailseal.testkit.SmtpClient(smtpPort)) {
            c.expect("220");
            c.send("EHLO mx.sender.test");
            c.expect("250");
            c.send("MAIL FROM:<bob@sender.test>");
            c.expect("250");
            c.send("RCPT TO:<nobody@example.com>");
            String r = c.reply();
            if (r.startsWith("250")) {
                c.send("DATA");
                c.expect("354");
                c.raw("From: bob@sender.test\r\nSubject: no\r\n\r\nno\r\n.\r\n");
                r = c.reply();
            }
            assertThat(r).startsWith("550 5.7.1");
        }
        // a user without a key: the tool says one would be generated, and asking generated none
        Path pw = dir.resolve("dave.pass");
        Files.writeString(pw, "dave password 1\n");
        assertThat(Cli.run("users", "add", "dave@example.com", "--password-file", pw.toString(), "-c", cfg.toString()).code()).isZero();
        assertThat(ask("dave@example.com")).isEqualTo("generate a OpenPGP key for the recipient, then encrypt to it".replace("a OpenPGP", "an OpenPGP"));
        browser.get(base + "/admin/keys");
        assertThat(browser.findElement(By.id("keys")).getText()).doesNotContain("dave@example.com");
        before = sink.messages.size();
        assertThat(org.mailseal.testkit.SmtpClient.submit(smtpPort, "mx.sender.test", "bob@sender.test", "dave@example.com",
                "From: bob@sender.test\r\nTo: dave@example.com\r\nSubject: first\r\n\r\nfirst for dave\r\n")).startsWith("250");
        assertThat(sink.messages.get(before).text()).contains("multipart/encrypted").doesNotContain("first for dave");
        assertThat(ask("dave@example.com")).matches("encrypt with OpenPGP to key [0-9A-F]{40}");
    }

    /** Puts a message into the gateway's quarantine as the scan stage would; returns its id. */
    String quarantine(String from, String to, String message) throws Exception {
        org.mailseal.config.MailsealConfig c = gw.config();
        try (org.mailseal.store.Database db = org.mailseal.store.Database.open(c)) {
            org.mailseal.scan.Quarantine q = new org.mailseal.scan.Quarantine(c.quarantine().dirIn(c.dataDir()),
                    org.mailseal.keys.MasterPassphrase.unlock(c, db.dataSource()));
            Path m = dir.resolve("q-" + System.nanoTime() + ".eml");
            Files.writeString(m, message);
            return q.put("0A1B2C3D4E5F", from, java.util.List.of(to), "spam (test)", m);
        }
    }

    @Test
    @Order(5)
    void quarantinedMailIsSeenEscapedAndReleasedEncrypted() throws Exception {
        String id = quarantine("eve@sender.test", "carol@example.com", "From: eve@sender.test\r\nTo: carol@example.com\r\n"
                + "Subject: <script>alert(2)</script> =?UTF-8?B?w6TDtsO8?=\r\n\r\nthe quarantined body\r\n");
        login("admin@example.com", "admin password 1");
        browser.get(base + "/admin/quarantine");
        String list = browser.findElement(By.id("quarantine")).getText();
        assertThat(list).contains("eve@sender.test", "carol@example.com", "<script>alert(2)</script> äöü", "spam (test)");
        assertThat(browser.getPageSource()).contains("&lt;script&gt;alert(2)&lt;/script&gt;").doesNotContain("<script>alert(2)")
                .doesNotContain("the quarantined body");
        shot("quarantine");
        browser.findElement(By.cssSelector("tr[data-key='" + id + "'] a")).click();
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.getCurrentUrl().endsWith("/admin/quarantine/" + id));
        assertThat(browser.findElement(By.tagName("pre")).getText()).contains("Subject: <script>alert(2)</script>").doesNotContain("the quarantined body");
        int before = sink.messages.size();
        submit(By.cssSelector("button.release"));
        assertThat(browser.findElement(By.className("notice")).getText()).startsWith("Released " + id + ": 250");
        assertThat(browser.findElements(By.cssSelector("tr[data-key='" + id + "']"))).isEmpty();
        String got = sink.messages.get(before).text();
        assertThat(got).contains("multipart/encrypted").doesNotContain("the quarantined body");
        // deleted, not released: gone, nothing sent
        String other = quarantine("eve@sender.test", "carol@example.com", "From: eve@sender.test\r\nSubject: two\r\n\r\nsecond\r\n");
        browser.get(base + "/admin/quarantine");
        int now = sink.messages.size();
        submit(By.cssSelector("tr[data-key='" + other + "'] button.delete"));
        assertThat(browser.findElement(By.className("notice")).getText()).isEqualTo("Deleted " + other + ".");
        assertThat(sink.messages).hasSize(now);
    }

    @Test
    @Order(6)
    void dashboardMailLogCaPolicyConfigAndAudit() throws Exception {
        HttpClient admin = client();
        login(admin, "admin@example.com", "admin password 1");
        // the dashboard's chart counts what this node did since it started: mail was encrypted in the tests before
        String dash = get(admin, "/admin").body();
        Matcher enc = Pattern.compile("id=\"series-encrypted\" data-total=\"(\\d+)\"").matcher(dash);
        assertThat(enc.find()).as(dash).isTrue();
        assertThat(Long.parseLong(enc.group(1))).isEqualTo(gw.metrics().totals().encrypted()).isGreaterThanOrEqualTo(2);
        assertThat(dash).contains("<svg", "Key store", "sealed under the master key, unlocked");
        // the mail log: one message's life, found by an address
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> get(admin, "/admin/log?q=dave%40example.com").body().contains("to=&lt;dave@example.com&gt;"));
        String life = get(admin, "/admin/log?q=dave%40example.com").body();
        Matcher qid = Pattern.compile("<h2>([0-9A-F]{12})</h2>").matcher(life);
        assertThat(qid.find()).as(life).isTrue();
        assertThat(life).contains(qid.group(1) + ": from=&lt;bob@sender.test&gt;", qid.group(1) + ": to=&lt;dave@example.com&gt;", "status=sent");
        assertThat(get(admin, "/admin/log?q=" + qid.group(1)).body()).contains("to=&lt;dave@example.com&gt;");
        assertThat(get(admin, "/admin/log?q=nobody-such%40nowhere.test").body()).contains("No message matched.");
        assertThat(get(admin, "/admin/log?q=x&from=yesterday").body()).contains("not a time: yesterday");
        // the CA page: issue, revoke, and the CRL lists the revoked serial
        String caPage = get(admin, "/admin/ca").body();
        String csrf = field(caPage, "csrf");
        String issued = follow(admin, post(admin, "/admin/ca/issue", Map.of("csrf", csrf, "email", "erin@example.com", "algo", "p256", "days", "30"))).body();
        assertThat(issued).contains("Issued ", "for erin@example.com");
        String erin = s(issued, "Issued ([0-9A-F]{64})");
        assertThat(follow(admin, post(admin, "/admin/ca/revoke", Map.of("csrf", csrf, "fingerprint", erin))).body()).contains("Revoked 1 certificate(s).");
        HttpResponse<String> crl = get(admin, "/admin/ca/ca.crl");
        Path crlFile = dir.resolve("ca.crl");
        Files.writeString(crlFile, crl.body());
        String serial = s(get(admin, "/admin/ca").body(), "<td>erin@example.com</td>\\s*<td>([0-9A-F]+)</td>");
        assertThat(Cmd.run("openssl", "crl", "-in", crlFile.toString(), "-noout", "-text").ok("openssl crl").outText().toUpperCase())
                .contains("SERIAL NUMBER: " + (serial.length() % 2 == 1 ? "0" + serial : serial));
        // the policy page: a user override shows with its source, and an invalid value is refused by name
        String pol = get(admin, "/admin/policy?email=dave%40example.com").body();
        assertThat(pol).contains("<td>encrypt</td>", "<td>global</td>");
        String saved = follow(admin, post(admin, "/admin/policy", policyForm(csrf, "dave@example.com", Map.of("pdf", "never")))).body();
        assertThat(saved).contains("Saved: pdf.");
        assertThat(get(admin, "/admin/policy?email=dave%40example.com").body()).containsPattern("<td>pdf</td>\\s*<td>never</td>\\s*<td>user</td>");
        assertThat(follow(admin, post(admin, "/admin/policy", policyForm(csrf, "dave@example.com", Map.of("encrypt", "sometimes")))).body())
                .contains("Not saved: encrypt must be mandatory, opportunistic or never");
        // the why tool with a sender: the steps the sender settles, then the decision
        String trace = get(admin, "/admin/why?sender=dave%40example.com&recipient=someone%40remote.test").body();
        assertThat(trace).contains("is not local: the mail is outbound", "The sender dave@example.com is a user of the store", "Signing: sign=");
        assertThat(get(admin, "/admin/why?sender=eve%40outside.test&recipient=dave%40example.com").body())
                .contains("is local: the mail is inbound", "The sender eve@outside.test is outside");
        // a certificate pasted as PEM is imported, validated against the CA
        String pem = get(admin, "/admin/certs/" + erin + ".pem").body();
        assertThat(follow(admin, post(admin, "/admin/certs/delete", Map.of("csrf", csrf, "fingerprint", erin))).body()).contains("Deleted " + erin);
        String pasted = follow(admin, postMultipart(admin, "/admin/certs", csrf, pem)).body();
        assertThat(pasted).contains("Refused: ", "revoked"); // erin's was revoked above: validation refuses it
        // the config, read-only, with the values that hold
        String config = get(admin, "/admin/config").body();
        assertThat(config).contains("admins:", "admin@example.com", "masterPassphraseFile").doesNotContain("web master passphrase");
        // the user page: an alias, a new password (which ends the user's sessions)
        String u = "/admin/user?u=dave%40example.com";
        assertThat(follow(admin, post(admin, "/admin/user/addresses", Map.of("csrf", csrf, "u", "dave@example.com", "add", "d.ave@example.com"))).body())
                .contains("d.ave@example.com");
        assertThat(follow(admin, post(admin, "/admin/user/password", Map.of("csrf", csrf, "u", "dave@example.com", "password", "dave password 2"))).body())
                .contains("Password changed");
        assertThat(get(admin, u).body()).contains("d.ave@example.com");
        // the audit log, on its page
        String audit = get(admin, "/admin/audit").body();
        assertThat(audit).contains("certificate.revoke", "policy.set", "quarantine.release", "user.passwd");
        // an API token made on the page works on the API until it is revoked on the page
        String made = post(admin, "/admin/tokens", Map.of("csrf", csrf, "name", "from the page")).body();
        String apiToken = s(made, "<pre>(ms_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43})</pre>");
        HttpRequest version = HttpRequest.newBuilder(URI.create(base + "/api/v1/version")).header("Authorization", "Bearer " + apiToken).build();
        assertThat(client().send(version, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(follow(admin, post(admin, "/admin/tokens/revoke", Map.of("csrf", csrf, "id", apiToken.substring(3, 19)))).body())
                .contains("Revoked " + apiToken.substring(3, 19) + ".");
        assertThat(client().send(version, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        browser.get(base + "/admin");
        shot("dashboard");
        for (String page : java.util.List.of("ca", "policy?email=dave%40example.com", "log?q=dave%40example.com", "audit", "config", "certs", "tokens")) {
            browser.get(base + "/admin/" + page);
            shot(page.replaceAll("[^a-z].*", ""));
        }
    }

    static Map<String, String> policyForm(String csrf, String email, Map<String, String> set) {
        Map<String, String> f = new java.util.HashMap<>();
        f.put("csrf", csrf);
        f.put("email", email);
        f.putAll(set);
        return f;
    }

    static String s(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex + " in " + text).isTrue();
        return m.group(1);
    }

    @Test
    @Order(7)
    void aUserUploadsTheirOwnKeySetsTheirPolicyAndTakesTheirSecretKey() throws Exception {
        HttpClient dave = client();
        login(dave, "dave@example.com", "dave password 2");
        String me = get(dave, "/me").body();
        String csrf = field(me, "csrf");
        // a key whose user ID is someone else's address is not bound to dave
        org.mailseal.testkit.Gpg g = new org.mailseal.testkit.Gpg(dir.resolve("dave-gpg"));
        try {
            g.run("--batch", "--passphrase", "", "--quick-gen-key", "Mallory <mallory@example.com>", "future-default", "default", "never").ok("gpg");
            g.run("--batch", "--passphrase", "", "--quick-gen-key", "Dave <dave@example.com>", "future-default", "default", "never").ok("gpg");
            String mallory = g.run("--armor", "--export", "mallory@example.com").ok("export").outText();
            String own = g.run("--armor", "--export", "=Dave <dave@example.com>").ok("export").outText();
            String refused = follow(dave, postMultipart(dave, "/me/key", csrf, mallory)).body();
            assertThat(refused).contains("Refused: ");
            try (org.mailseal.store.Database db = org.mailseal.store.Database.open(gw.config())) {
                assertThat(new org.mailseal.keys.PgpKeyStore(db.dataSource()).list("mallory@example.com")).isEmpty();
            }
            assertThat(follow(dave, postMultipart(dave, "/me/key", csrf, own)).body()).contains("Uploaded ", "for dave@example.com.");
            try (org.mailseal.store.Database db = org.mailseal.store.Database.open(gw.config())) {
                assertThat(new org.mailseal.keys.PgpKeyStore(db.dataSource()).list("dave@example.com")).extracting(org.mailseal.keys.PgpKeyStore.Entry::origin)
                        .contains("uploaded by the user", "generated");
            }
        } finally {
            g.stop();
        }
        // own policy: stronger than the domain's is allowed, weaker is not
        assertThat(follow(dave, post(dave, "/me/policy", Map.of("csrf", csrf, "encrypt", "never", "preferredMethod", "", "sign", ""))).body())
                .contains("Not saved: your domain asks for encrypt=mandatory; you may only ask for more.");
        assertThat(follow(dave, post(dave, "/me/policy", Map.of("csrf", csrf, "encrypt", "", "preferredMethod", "smime", "sign", ""))).body())
                .contains("Saved preferredMethod=smime.");
        // the generated secret key, after the password again, protected by the passphrase given
        String page = get(dave, "/me").body();
        String fpr = s(page, "name=\"fingerprint\" id=\"secret-fingerprint\"><option value=\"([0-9A-F]{40})\"");
        assertThat(post(dave, "/me/secret-key", Map.of("csrf", csrf, "fingerprint", fpr, "password", "wrong", "passphrase", "key pass 12")).statusCode())
                .isEqualTo(401);
        HttpResponse<String> key = post(dave, "/me/secret-key", Map.of("csrf", csrf, "fingerprint", fpr, "password", "dave password 2", "passphrase", "key pass 12"));
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(key.body()).startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----");
        org.mailseal.testkit.Gpg reader = new org.mailseal.testkit.Gpg(dir.resolve("dave-reader"));
        try {
            Path k = dir.resolve("dave-secret.asc");
            Files.writeString(k, key.body());
            reader.run("--batch", "--pinentry-mode", "loopback", "--passphrase", "key pass 12", "--import", k.toString()).ok("import secret");
            assertThat(reader.run("--list-secret-keys", "--with-colons").ok("list").outText()).contains(fpr);
        } finally {
            reader.stop();
        }
        // not another user's key, even with a valid token and password
        String carolFpr;
        try (org.mailseal.store.Database db = org.mailseal.store.Database.open(gw.config())) {
            carolFpr = new org.mailseal.keys.PgpKeyStore(db.dataSource()).list("carol@example.com").get(0).fingerprint();
        }
        assertThat(post(dave, "/me/secret-key", Map.of("csrf", csrf, "fingerprint", carolFpr, "password", "dave password 2", "passphrase", "key pass 12"))
                .statusCode()).isEqualTo(403);
        assertThat(get(dave, "/admin/keys/" + carolFpr + ".asc").statusCode()).isEqualTo(403);
        login("dave@example.com", "dave password 2");
        shot("me");
    }

    HttpResponse<String> postMultipart(HttpClient c, String path, String csrf, String text) throws Exception {
        String b = "----mailseal" + System.nanoTime();
        String body = "--" + b + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf + "\r\n--" + b
                + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n" + text + "\r\n--" + b + "--\r\n";
        return c.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
