package org.mailseal.crypto.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;

/**
 * A message whose attachment is larger than the heap becomes a PDF in a fresh JVM with -Xmx48m: the
 * attachment and the original are streamed through temporary files, never held whole (PDFBox's own
 * stream encryption would need them in memory). pdfdetach gives the attachment back byte-exact.
 */
@NeedsPeers({"pdfdetach=poppler-utils"})
class PdfLargeAttachmentTest {

    @TempDir
    Path dir;

    @Test
    void anAttachmentLargerThanTheHeapIsEmbeddedByteExact() throws Exception {
        Peers.require("pdfdetach", "poppler-utils");
        Path eml = dir.resolve("big.eml");
        MessageDigest want = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(eml), 1 << 16)) {
            o.write(("From: a@example.com\r\nTo: b@remote.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n"
                    + "--XX\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            Base64.Encoder b64 = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'});
            byte[] chunk = new byte[57 * 1024];
            for (int i = 0; i < 1100; i++) { // about 62 MiB of data, 84 MiB of message
                random.nextBytes(chunk);
                want.update(chunk);
                o.write(b64.encode(chunk));
                o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            o.write("--XX--\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "large-attachment-password\n");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path pdf = dir.resolve("big.pdf");
        Cmd.Result r = Cmd.run(java, "-Xmx48m", "-cp", cp, "org.mailseal.cli.Main", "pdf", "render", eml.toString(), "--out", pdf.toString(),
                "--password-file", pw.toString(), "--attach-original");
        assertThat(r.code()).as(r.outText() + r.err()).isZero();
        Path out = Files.createDirectories(dir.resolve("detached"));
        Cmd.Result det = Cmd.run("pdfdetach", "-upw", "large-attachment-password", "-saveall", "-o", out.toString(), pdf.toString());
        assertThat(det.code()).as(det.err()).isZero();
        assertThat(sha256(out.resolve("big.bin"))).isEqualTo(want.digest());
        assertThat(sha256(out.resolve("message.eml"))).isEqualTo(sha256(eml));
    }

    private static byte[] sha256(Path p) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), d)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return d.digest();
    }
}
