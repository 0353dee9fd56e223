package org.mailseal.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outer header is an allowlist: what Outlook/Exchange and others copy of the Subject stays inside. */
class OuterHeaderTest {

    static final String HEADER = "Received: from a by b\r\nFrom: Bob <bob@x.test>\r\nTo: alice@example.com\r\nCc: c@example.com\r\n"
            + "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: <m@x.test>\r\nIn-Reply-To: <p@x.test>\r\nReferences: <p@x.test>\r\n"
            + "List-Id: <l.x.test>\r\nSubject: Merger with ACME\r\nThread-Topic: Merger with ACME\r\nThread-Index: AQHZ1234\r\n"
            + "X-Original-Subject: Merger with ACME\r\nSummary: merger\r\nOrganization: ACME Takeover Team\r\nX-Priority: 1\r\n"
            + "Reply-To: secret-deal@x.test\r\nX-Spam-Flag: YES\r\nContent-Type: text/plain\r\n\r\n";

    static HeaderProtection.Result protect(OuterHeader o) throws Exception {
        RawHeader h = RawHeader.read(new ByteArrayInputStream(HEADER.getBytes(StandardCharsets.US_ASCII)), 1 << 16);
        return HeaderProtection.protect(h, o, List.of());
    }

    @Test
    void onlyDeliveryAndThreadingFieldsStayOutside() throws Exception {
        HeaderProtection.Result r = protect(OuterHeader.minimal("[...]"));
        String outer = new String(r.outer(), StandardCharsets.US_ASCII);
        assertThat(outer).contains("Received: from a by b", "From: Bob", "To: alice@example.com", "Cc: c@example.com", "Date: ",
                "Message-ID: <m@x.test>", "In-Reply-To:", "References:", "List-Id:", "Subject: [...]", "X-Spam-Flag: YES");
        assertThat(outer).doesNotContain("ACME").doesNotContain("Thread-Index").doesNotContain("merger").doesNotContain("X-Priority")
                .doesNotContain("secret-deal");
        String inner = new String(r.inner(), StandardCharsets.US_ASCII);
        assertThat(inner).contains("Thread-Topic: Merger with ACME", "Thread-Index: AQHZ1234", "Organization: ACME Takeover Team",
                "HP-Outer: Subject: [...]").doesNotContain("HP-Outer: Thread-Topic");
    }

    @Test
    void aDomainMayKeepMoreOutside() throws Exception {
        String outer = new String(protect(OuterHeader.of("[...]", "Organization,X-Priority")).outer(), StandardCharsets.US_ASCII);
        assertThat(outer).contains("Organization: ACME Takeover Team", "X-Priority: 1").doesNotContain("Thread-Topic");
    }
}
