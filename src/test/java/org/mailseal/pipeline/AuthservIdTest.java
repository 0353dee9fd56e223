package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 8601 §2.2 authserv-id forms that must all be recognised as our own host. */
class AuthservIdTest {

    @Test
    void everySpellingOfOurHostIsFound() {
        assertThat(AuthservId.of("gw.test; spf=pass", false)).isEqualTo("gw.test");
        assertThat(AuthservId.of("(forged) gw.test; dkim=pass", false)).isEqualTo("gw.test");
        assertThat(AuthservId.of(" (a (nested) comment)\"GW.test\"; dkim=pass", false)).isEqualTo("gw.test");
        assertThat(AuthservId.of("gw.test.; dmarc=pass", false)).isEqualTo("gw.test");
        assertThat(AuthservId.of("gw.test 1; none", false)).isEqualTo("gw.test");
        assertThat(AuthservId.of("i=1; (c) gw.test.; spf=pass", true)).isEqualTo("gw.test");
        assertThat(AuthservId.of("other.example; spf=pass (gw.test)", false)).isEqualTo("other.example");
    }

    @Test
    void sanitizeDropsEveryOwnResultAndEveryMailsealField() {
        SanitizeStage s = new SanitizeStage(null, "gw.test", false);
        for (String f : new String[] {"Authentication-Results: (x) gw.test; spf=pass", "Authentication-Results: \"gw.test\"; dkim=pass",
                "Authentication-Results: gw.test.; dmarc=pass", "ARC-Authentication-Results: i=1; gw.test; spf=pass",
                "X-Mailseal-Released: Q123", "X-Mailseal-Info: x", "X-Spam-Subject-Tag: [SPAM]"}) {
            assertThat(s.spoofed(field(f))).as(f).isTrue();
        }
        assertThat(s.spoofed(field("Authentication-Results: mx.other.example; spf=pass"))).isFalse();
        assertThat(s.spoofed(field("ARC-Authentication-Results: i=1; mx.other.example; spf=pass"))).isFalse();
    }

    static org.mailseal.mime.RawHeader.Field field(String line) {
        try {
            return org.mailseal.mime.RawHeader.read(new java.io.ByteArrayInputStream((line + "\r\n\r\n").getBytes()), 4096).fields().get(0);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
