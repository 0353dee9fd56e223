package org.mailseal.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edits that turn the MTA's copy into the flow's result: only what changed, indices the MTA understands. */
class MilterEditsTest {

    @TempDir
    Path dir;

    MilterEdits edits(String before, String after, boolean leadingSpace) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.writeString(a, before, StandardCharsets.ISO_8859_1);
        Files.writeString(b, after, StandardCharsets.ISO_8859_1);
        return MilterEdits.between(item(a), item(b), leadingSpace);
    }

    static org.mailseal.mail.MailItem item(Path content) {
        org.mailseal.mail.SessionInfo s = new org.mailseal.mail.SessionInfo(java.net.InetAddress.getLoopbackAddress(), "localhost", "h", true,
                false, null, null, org.mailseal.mail.XForward.EMPTY);
        return new org.mailseal.mail.MailItem("Q1", s, org.mailseal.mail.MailFrom.of(org.mailseal.mail.Address.parse("a@b.test")),
                java.util.List.of(new org.mailseal.mail.Recipient(org.mailseal.mail.RcptTo.of(org.mailseal.mail.Address.parse("c@d.test")),
                        org.mailseal.mail.Direction.INBOUND, 0)), content, java.time.Instant.now());
    }

    static String v(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void anUnchangedMessageNeedsNoEdit() throws Exception {
        String m = "Received: x\r\nSubject: same\r\n\r\nbody\r\n";
        assertThat(edits(m, m, true).isEmpty()).isTrue();
    }

    @Test
    void changedDeletedAndAddedFieldsAndANewBody() throws Exception {
        String before = "Received: one\r\nX-Mailseal-Info: a\r\nSubject: secret\r\nX-Mailseal-Info: b\r\nContent-Type: text/plain\r\n\r\nplain\r\n";
        String after = "Received: one\r\nSubject: [...]\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted;\r\n boundary=\"x\"\r\n\r\ncipher\r\n";
        MilterEdits e = edits(before, after, true);
        assertThat(e.changes()).extracting(c -> c.name() + "#" + c.index() + "=" + v(c.value()))
                .containsExactly("Subject#1= [...]", "Content-Type#1= multipart/encrypted;\n boundary=\"x\"",
                        // deletions last, the higher index of a name first so the lower one stays valid
                        "X-Mailseal-Info#2=", "X-Mailseal-Info#1=");
        assertThat(e.additions()).extracting(f -> f.name() + "=" + v(f.value())).containsExactly("MIME-Version= 1.0");
        assertThat(e.replaceBody()).isTrue();
    }

    @Test
    void withoutLeadingSpaceTheValueStartsAtTheText() throws Exception {
        MilterEdits e = edits("Subject: a\r\n\r\nb", "Subject: b\r\n\r\nb", false);
        assertThat(e.changes()).extracting(c -> v(c.value())).containsExactly("b");
        assertThat(e.replaceBody()).isFalse();
    }
}
