package org.mailseal.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The round-trip checker must itself reject every kind of damage. */
class ByteExactTest {

    static final String ORIGINAL = "From: a@b.test\r\nSubject: hi\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nbody\r\n";
    static final String RECEIVED = "Received: from x (unknown [127.0.0.1])\r\n\tby gw.test (mailseal) with ESMTP id Q; date\r\n";
    static final String GOOD = "From: a@b.test\r\nSubject: hi\r\nContent-Type: text/plain;\r\n charset=utf-8;\r\n\thp=\"cipher\"; protected-headers=\"v1\"\r\n"
            + "HP-Outer: Subject: [...]\r\nX-Mailseal-Info: x\r\n\r\nbody\r\n";

    static void check(String decrypted) throws Exception {
        ByteExact.check("t", ORIGINAL.getBytes(StandardCharsets.UTF_8), decrypted.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsTheAllowedAdditions() {
        assertThatCode(() -> check(GOOD)).doesNotThrowAnyException();
    }

    @Test
    void rejectsDamage() {
        assertThatThrownBy(() -> check(GOOD.replace("body", "bodY"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("Subject: hi", "Subject:  hi"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("From: a@b.test\r\nSubject: hi\r\n", "Subject: hi\r\nFrom: a@b.test\r\n"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("X-Mailseal-Info: x\r\n", "X-Other: added\r\n"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("\r\n charset=utf-8;", "\r\n charset=UTF-8;"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("hp=\"cipher\"; ", ""))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> check(GOOD.replace("body\r\n", "body\n"))).isInstanceOf(AssertionError.class);
        // The gateway's own trace belongs outside: inside, it is damage (decrypt(encrypt(m)) would not be m).
        assertThatThrownBy(() -> check(RECEIVED + GOOD)).isInstanceOf(AssertionError.class);
    }
}
