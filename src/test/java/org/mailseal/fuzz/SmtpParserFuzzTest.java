package org.mailseal.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Order;
import org.mailseal.smtp.EnvelopeParser;
import org.mailseal.smtp.SmtpException;

/** SMTP command arguments (MAIL FROM, RCPT TO with their parameters): a reply for bad input, never another exception. */
@Order(Integer.MAX_VALUE - 1)
class SmtpParserFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void mailAndRcptArguments(byte[] data) {
        String arg = new String(data, StandardCharsets.UTF_8);
        try {
            EnvelopeParser.parseMail(arg, 1 << 20);
        } catch (SmtpException expected) {
            // a precise reply
        }
        try {
            EnvelopeParser.parseRcpt(arg, true);
        } catch (SmtpException expected) {
            // a precise reply
        }
    }
}
