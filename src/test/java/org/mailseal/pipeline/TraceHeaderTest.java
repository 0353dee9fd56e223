package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailseal.mime.RawHeader;

/** The gateway's own Received field is recognised by its queue id and taken out whole, and only it. */
class TraceHeaderTest {

    static final String OURS = "Received: from client.test (unknown [127.0.0.1])\r\n\tby gw.test (mailseal) with ESMTP id 61ABC\r\n"
            + "\tfor <alice@example.com>; Wed, 2 Dec 2026 20:25:40 +0000\r\n";

    static RawHeader header(String s) throws Exception {
        return RawHeader.read(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)), 1 << 20);
    }

    static String text(RawHeader h) {
        StringBuilder b = new StringBuilder();
        h.fields().forEach(f -> b.append(new String(f.raw(), StandardCharsets.ISO_8859_1)));
        return b.toString();
    }

    @Test
    void ourFieldGoesTheRestStaysByteForByte() throws Exception {
        String msg = "From: a@b.test\r\nSubject: hi\r\n";
        TraceHeader.Split s = TraceHeader.split(header(OURS + msg + "\r\n"), "61ABC");
        assertThat(new String(s.trace(), StandardCharsets.ISO_8859_1)).isEqualTo(OURS);
        assertThat(text(s.rest())).isEqualTo(msg);
    }

    @Test
    void aFirstLineThatBeganWithWhitespaceIsGivenBack() throws Exception {
        String msg = " folded first line\r\nFrom: a@b.test\r\n";
        TraceHeader.Split s = TraceHeader.split(header(OURS + msg + "\r\n"), "61ABC");
        assertThat(new String(s.trace(), StandardCharsets.ISO_8859_1)).isEqualTo(OURS);
        assertThat(text(s.rest())).isEqualTo(msg);
        assertThat(s.rest().fields().get(0).name()).isEmpty();
    }

    @Test
    void aLookAlikeWrittenByTheSenderFurtherDownStaysInside() throws Exception {
        // The sender copies our field (even with the right queue id) below its own first field: not ours.
        String msg = "From: a@b.test\r\n" + OURS + "Subject: hi\r\n";
        TraceHeader.Split s = TraceHeader.split(header(msg + "\r\n"), "61ABC");
        assertThat(s.trace()).isEmpty();
        assertThat(text(s.rest())).isEqualTo(msg);
    }

    @Test
    void anotherQueueIdOrAnotherHostsFieldIsNotOurs() throws Exception {
        String other = OURS.replace("61ABC", "61ABD");
        TraceHeader.Split s = TraceHeader.split(header(other + "From: a@b.test\r\n\r\n"), "61ABC");
        assertThat(s.trace()).isEmpty();
        assertThat(text(s.rest())).isEqualTo(other + "From: a@b.test\r\n");
        String postfix = "Received: from x by mx.test (Postfix) with ESMTP id 61ABC; Wed, 2 Dec 2026 20:25:40 +0000\r\n";
        assertThat(TraceHeader.split(header(postfix + "\r\n"), "61ABC").trace()).isEmpty();
    }
}
