package org.mailseal.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SmtpInputTest {

    static SmtpInput in(String s) {
        return new SmtpInput(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    static String data(String wire, long max, int line) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        SmtpInput.DataStatus st = in(wire).readData(o, max, line);
        return st + ":" + o.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void unstuffsDotsAndStopsAtTheTerminator() throws IOException {
        assertThat(data("a\r\n..b\r\n.c\r\n\r\n.\r\nEXTRA\r\n", 1000, 998)).isEqualTo("OK:a\r\n.b\r\nc\r\n\r\n");
    }

    @Test
    void bareLfAndBareCrAreViolations() {
        assertThatThrownBy(() -> data("a\n.\n", 1000, 998)).isInstanceOf(ProtocolViolation.class).hasMessageContaining("bare <LF>");
        assertThatThrownBy(() -> data("a\rb\r\n.\r\n", 1000, 998)).isInstanceOf(ProtocolViolation.class).hasMessageContaining("bare <CR>");
        assertThatThrownBy(() -> in("EHLO x\n").readLine(100)).isInstanceOf(ProtocolViolation.class);
    }

    @Test
    void limitsAreReportedAfterReadingToTheEnd() throws IOException {
        assertThat(data("x".repeat(50) + "\r\n" + "y".repeat(50) + "\r\n.\r\n", 60, 998)).isEqualTo("TOO_BIG:" + "x".repeat(50) + "\r\n");
        assertThat(data("x".repeat(999) + "\r\n.\r\n", 100000, 998)).startsWith("LINE_TOO_LONG:");
        assertThat(data("x".repeat(998) + "\r\n.\r\n", 100000, 998)).startsWith("OK:");
    }

    @Test
    void eofInDataIsAnError() {
        assertThatThrownBy(() -> data("a\r\nb", 1000, 998)).isInstanceOf(java.io.EOFException.class);
    }

    @Test
    void nulBytesInDataPassThroughUntouched() throws IOException {
        assertThat(data("a\0b\r\n.\r\n", 1000, 998)).isEqualTo("OK:a\0b\r\n");
    }
}
