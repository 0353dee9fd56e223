package org.mailseal.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MimeHelpersTest {

    static RawHeader header(String s) throws Exception {
        return RawHeader.read(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), 1 << 20);
    }

    @Test
    void rawHeaderKeepsBytesAndFolding() throws Exception {
        String h = "Subject: a\r\n b\r\nX-Y:z\r\n\r\nbody";
        RawHeader r = header(h);
        assertThat(r.fields()).hasSize(2);
        assertThat(new String(r.fields().get(0).raw(), StandardCharsets.UTF_8)).isEqualTo("Subject: a\r\n b\r\n");
        assertThat(r.value("subject")).isEqualTo("a b");
        assertThat(r.hasBody()).isTrue();
    }

    @Test
    void headerProtectionOuterAndInner() throws Exception {
        RawHeader r = header("Received: x\r\nFrom: a@b\r\nSubject: secret\r\nKeywords: k\r\nContent-Type: text/plain\r\nMIME-Version: 1.0\r\n\r\n");
        HeaderProtection.Result hp = HeaderProtection.protect(r, "[...]", List.of("X-Mailseal-Info: i\r\n"));
        assertThat(new String(hp.outer(), StandardCharsets.UTF_8)).isEqualTo("Received: x\r\nFrom: a@b\r\nSubject: [...]\r\n");
        assertThat(new String(hp.inner(), StandardCharsets.UTF_8)).isEqualTo("Received: x\r\nFrom: a@b\r\nSubject: secret\r\nKeywords: k\r\n"
                + "Content-Type: text/plain;\r\n\thp=\"cipher\"; protected-headers=\"v1\"\r\nMIME-Version: 1.0\r\n"
                + "HP-Outer: From: a@b\r\nHP-Outer: Subject: [...]\r\nX-Mailseal-Info: i\r\n");
    }

    @Test
    void restoreUndoesProtectExactly() throws Exception {
        for (String ct : List.of("Content-Type: text/plain\r\n", "Content-Type: text/plain; charset=utf-8\r\n",
                "Content-Type: multipart/mixed;\r\n boundary=\"b\"\r\n", "")) {
            String original = "Received: from a by b\r\nFrom: a@b\r\nTo: c@d\r\nSubject: secret\r\nKeywords: k\r\n" + ct + "MIME-Version: 1.0\r\n";
            RawHeader r = header(original + "\r\n");
            HeaderProtection.Result hp = HeaderProtection.protect(r, "[...]", List.of("X-Mailseal-Info: i\r\n"));
            byte[] back = HeaderProtection.restore(header(new String(hp.outer(), StandardCharsets.UTF_8) + "\r\n"),
                    header(new String(hp.inner(), StandardCharsets.UTF_8) + "\r\n"));
            // Without a Content-Type, protection made the RFC 2045 default explicit (at the end) to carry the markers.
            String expected = ct.isEmpty() ? original + "Content-Type: text/plain; charset=us-ascii\r\n" : original;
            assertThat(new String(back, StandardCharsets.UTF_8)).as(ct).isEqualTo(expected);
        }
    }

    @Test
    void restoreDropsForeignMarkersAndKeepsLegacyOuterFields() throws Exception {
        RawHeader outer = header("Received: x\r\nFrom: a@b\r\nSubject: [...]\r\nContent-Type: multipart/encrypted; boundary=q\r\n\r\n");
        RawHeader inner = header("From: a@b\r\nSubject: real\r\nContent-Type: text/plain; protected-headers=\"v1\"; charset=utf-8\r\n"
                + "HP-Outer: Subject: [...]\r\n\r\n");
        assertThat(new String(HeaderProtection.restore(outer, inner), StandardCharsets.UTF_8))
                .isEqualTo("Received: x\r\nFrom: a@b\r\nSubject: real\r\nContent-Type: text/plain; charset=utf-8\r\n");
        RawHeader legacy = header("Content-Type: text/plain\r\n\r\n");
        assertThat(new String(HeaderProtection.restore(outer, legacy), StandardCharsets.UTF_8))
                .isEqualTo("Received: x\r\nFrom: a@b\r\nSubject: [...]\r\nContent-Type: text/plain\r\n");
    }

}
