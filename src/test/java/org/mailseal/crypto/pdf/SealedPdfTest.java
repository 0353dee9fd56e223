package org.mailseal.crypto.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.Corpus;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;

/**
 * The PDF against real readers: qpdf (encryption), pdftotext, pdfdetach and pdftoppm (poppler). The
 * expected text and attachments come from an independent MIME parser (Angus Mail), not from ours.
 */
@NeedsPeers({"qpdf=qpdf", "pdftotext=poppler-utils", "pdfdetach=poppler-utils", "pdftoppm=poppler-utils"})
class SealedPdfTest {

    static final String PW = "Corpus-PDF-password-7";

    @TempDir
    Path dir;

    static Stream<Corpus.Message> corpus() throws Exception {
        return Corpus.load("encrypt").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyCorpusMessageOpensWithThePasswordWithItsTextAndAttachments(Corpus.Message m) throws Exception {
        Peers.require("qpdf", "qpdf");
        Peers.require("pdftotext", "poppler-utils");
        Path pdf = render(m.bytes(), "m.pdf", true);

        Cmd.Result enc = Cmd.run("qpdf", "--show-encryption", "--password=" + PW, pdf.toString());
        assertThat(enc.outText()).contains("R = 6").contains("stream encryption method: AESv3").contains("file encryption method: AESv3")
                .contains("print high resolution: allowed").contains("extract for any purpose: allowed").contains("modify anything: not allowed");
        assertThat(Cmd.run("pdftotext", "-upw", "wrong-" + PW, pdf.toString(), "-").code()).as("a wrong password fails").isNotZero();
        assertThat(Cmd.run("qpdf", "--check", pdf.toString()).code()).as("no password, no content").isNotZero();
        assertThat(Cmd.run("qpdf", "--check", "--password=wrong-" + PW, pdf.toString()).code()).as("a wrong password, no content").isNotZero();

        Cmd.Result text = Cmd.run("pdftotext", "-upw", PW, pdf.toString(), "-");
        assertThat(text.code()).as(text.err()).isZero();
        String got = words(text.outText());
        assertThat(text.outText()).as("no ligatures in the text layer").doesNotContain("\uFB01").doesNotContain("\uFB02");
        Expected want = expected(m.bytes());
        for (String t : want.texts) {
            for (String w : sample(t)) {
                // Lines are broken at spaces, and inside a word longer than a line: compare without white space.
                assertThat(got.replace(" ", "")).as(m.name() + ": body word " + w).contains(w.toLowerCase(Locale.ROOT));
            }
        }

        Path out = Files.createDirectories(dir.resolve("detached"));
        Cmd.Result det = Cmd.run("pdfdetach", "-upw", PW, "-saveall", "-o", out.toString(), pdf.toString());
        assertThat(det.code()).as(det.err()).isZero();
        List<byte[]> detached = new ArrayList<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.toList()) {
                detached.add(Files.readAllBytes(p));
            }
        }
        assertThat(detached.stream().anyMatch(b -> java.util.Arrays.equals(b, m.bytes()))).as("the original, as message.eml").isTrue();
        for (byte[] a : want.attachments) {
            assertThat(detached.stream().anyMatch(b -> java.util.Arrays.equals(b, a))).as(m.name() + ": an attachment, byte-exact").isTrue();
        }
    }

    @Test
    void greekCyrillicAndLatinAreSetInTheFontAndThreePreviewsAreWritten() throws Exception {
        Peers.require("pdftoppm", "poppler-utils");
        String utf8 = "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>\r\nTo: b@example.net\r\nSubject: =?UTF-8?B?zpPOtdOxzrEgz4POsc+CIC8g0J/RgNC40LLQtdGC?=\r\n"
                + "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Καλημέρα κόσμε. Привет, мир. Žluťoučký kůň úpěl ďábelské ódy. Straße, naïve, façade.\r\n";
        Path pdf = render(utf8.getBytes(StandardCharsets.UTF_8), "utf8.pdf", false);
        String text = Cmd.run("pdftotext", "-upw", PW, pdf.toString(), "-").outText();
        assertThat(text).contains("Καλημέρα κόσμε").contains("Привет, мир").contains("Žluťoučký kůň").contains("Straße").contains("Jürgen")
                .doesNotContain("\uFFFD").doesNotContain("#");
        Path previews = Files.createDirectories(Path.of("target", "pdf-previews"));
        // The three corpus previews: plain, HTML, and UTF-8 with Greek and Cyrillic (and CJK, printed as U+FFFD).
        for (String[] p : List.of(new String[] {"plain", "01-plain-ascii"}, new String[] {"html", "06-html-only"},
                new String[] {"utf8-corpus", "03-utf8-8bit"})) {
            byte[] msg = Corpus.load("encrypt").stream().filter(c -> c.name().startsWith(p[1])).findFirst().orElseThrow().bytes();
            Path f = render(msg, p[0] + ".pdf", false);
            assertThat(Cmd.run("pdftoppm", "-upw", PW, "-r", "70", "-png", "-f", "1", "-l", "1", "-singlefile", f.toString(),
                    previews.resolve(p[0]).toString()).code()).isZero();
        }
        assertThat(Cmd.run("pdftoppm", "-upw", PW, "-r", "70", "-png", "-f", "1", "-l", "1", "-singlefile", pdf.toString(),
                previews.resolve("utf8").toString()).code()).isZero();
        for (String p : List.of("plain", "html", "utf8-corpus", "utf8")) {
            assertThat(Files.size(previews.resolve(p + ".png"))).isPositive();
        }
    }

    /** Remote images, style sheets, scripts, frames and file: URLs in HTML: nothing is fetched, nothing runs. */
    @Test
    void hostileHtmlFetchesNothing() throws Exception {
        Peers.require("pdftotext", "poppler-utils");
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            String html = "<html><head><link rel=stylesheet href='" + base + "/css'><style>@import url(" + base + "/import); body{background:url("
                    + base + "/bg)}</style><script src='" + base + "/js'></script><script>document.write('SCRIPT-RAN')</script></head>"
                    + "<body><p>Visible paragraph</p><img src='" + base + "/img' alt='logo'><img src='file:///etc/passwd'>"
                    + "<iframe src='" + base + "/frame'></iframe><object data='" + base + "/obj'></object><video src='" + base + "/v'></video>"
                    + "<a href='" + base + "/link'>click</a><svg><image href='" + base + "/svg'/></svg></body></html>";
            String msg = "From: a@example.com\r\nTo: b@example.net\r\nSubject: hostile\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                    + html + "\r\n";
            Path pdf = render(msg.getBytes(StandardCharsets.UTF_8), "hostile.pdf", false);
            String text = Cmd.run("pdftotext", "-upw", PW, pdf.toString(), "-").outText();
            assertThat(text).contains("Visible paragraph").contains("[logo]").contains("click [" + base + "/link]").doesNotContain("SCRIPT-RAN");
            Thread.sleep(300);
            assertThat(requests.get()).as("requests the test server saw").isZero();
        } finally {
            server.stop(0);
        }
    }

    private Path render(byte[] msg, String name, boolean attachOriginal) throws Exception {
        Path pdf = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(pdf)) {
            SealedPdf.write(() -> new ByteArrayInputStream(msg), o, PW.toCharArray(), attachOriginal);
        }
        return pdf;
    }

    record Expected(List<String> texts, List<byte[]> attachments) {
    }

    /** Text parts and attachments as Angus Mail sees them. */
    static Expected expected(byte[] msg) throws Exception {
        MimeMessage mm = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(msg));
        Expected e = new Expected(new ArrayList<>(), new ArrayList<>());
        walk(mm, e);
        return e;
    }

    private static void walk(Part p, Expected e) throws Exception {
        if (p.isMimeType("multipart/*")) {
            Multipart mp = (Multipart) p.getContent();
            for (int i = 0; i < mp.getCount(); i++) {
                BodyPart bp = mp.getBodyPart(i);
                walk(bp, e);
            }
            return;
        }
        boolean attached = Part.ATTACHMENT.equalsIgnoreCase(p.getDisposition()) || p.getFileName() != null;
        if (p.isMimeType("text/plain") && !attached) {
            try (InputStream in = p.getInputStream()) {
                String cs = new jakarta.mail.internet.ContentType(p.getContentType()).getParameter("charset");
                e.texts.add(new String(in.readAllBytes(), cs == null || cs.equalsIgnoreCase("us-ascii") ? "ISO-8859-1" : cs));
            } catch (java.io.UnsupportedEncodingException ignored) {
                // a charset Java lacks: no expectation on its words
            }
        } else if (!p.isMimeType("text/html") || attached) {
            try (InputStream in = p.getInputStream()) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                e.attachments.add(b.toByteArray());
            }
        }
    }

    /** Up to five words of 4+ letters from Latin, Greek or Cyrillic text (what the shipped font covers). */
    static List<String> sample(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.split("[^\\p{IsLatin}\\p{IsGreek}\\p{IsCyrillic}]+")) {
            if (w.length() >= 4 && out.size() < 5 && !out.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    private static String words(String s) {
        return s.replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
