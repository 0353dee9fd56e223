package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.mail.MailItem;
import org.mailseal.mime.RawHeader;

/** The header is parsed once per content file, shared by recipient-group copies, parsed again for new content. */
class MailItemTest {

    @TempDir
    Path dir;

    MailItem item(String content) throws Exception {
        Path p = Files.createTempFile(dir, "m", ".eml");
        Files.writeString(p, content, StandardCharsets.ISO_8859_1);
        return PipelineTest.item("a@x.test", "b@x.test").withContent(p);
    }

    @Test
    void headerOnceBodyAfterIt() throws Exception {
        MailItem m = item("From: a@b.test\r\nSubject: hi\r\n\r\nbody\r\n");
        RawHeader h = m.header();
        assertThat(h.value("Subject")).isEqualTo("hi");
        try (var in = m.openBody()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("body\r\n");
        }
        // A group copy shares the parsed header; the file is not read again.
        MailItem group = m.withRecipients(m.recipients().subList(0, 1));
        Files.writeString(m.content(), "Subject: changed behind its back\r\n\r\n");
        assertThat(group.header()).isSameAs(h);
    }

    @Test
    void newContentIsParsedAgain() throws Exception {
        MailItem m = item("Subject: one\r\n\r\nx");
        m.header();
        Path other = Files.createTempFile(dir, "n", ".eml");
        Files.writeString(other, "Subject: two\r\n\r\ny");
        assertThat(m.withContent(other).header().value("Subject")).isEqualTo("two");
    }

    @Test
    void anOversizedHeaderIsRefusedWithTheOneReply() throws Exception {
        StringBuilder big = new StringBuilder();
        while (big.length() <= MailItem.MAX_HEADER) {
            big.append("X-Filler: ").append("y".repeat(990)).append("\r\n");
        }
        MailItem m = item(big + "\r\nbody");
        assertThatThrownBy(m::header).isInstanceOf(RawHeader.TooLargeException.class);
        Routing r = new HopCountStage(50).apply(m);
        assertThat(r.groups()).singleElement().satisfies(g -> assertThat(g.outcome().reply()).isEqualTo(Outcome.HEADER_TOO_LARGE));
    }
}
