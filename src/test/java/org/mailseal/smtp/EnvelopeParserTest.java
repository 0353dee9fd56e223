package org.mailseal.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;

class EnvelopeParserTest {

    @Test
    void mailParameters() throws SmtpException {
        MailFrom m = EnvelopeParser.parseMail("<a@b.test> SIZE=100 BODY=8BITMIME RET=FULL ENVID=x+2By SMTPUTF8", 1000);
        assertThat(m.sender()).isEqualTo(new Address("a", "b.test"));
        assertThat(m.size()).isEqualTo(100);
        assertThat(m.body()).isEqualTo(MailFrom.Body.EIGHT_BIT_MIME);
        assertThat(m.ret()).isEqualTo(MailFrom.Ret.FULL);
        assertThat(m.envid()).isEqualTo("x+2By");
        assertThat(m.smtputf8()).isTrue();
        assertThat(EnvelopeParser.parseMail("<>", 1000).sender().isNull()).isTrue();
        assertThat(EnvelopeParser.parseMail(" <@relay.test:a@b.test>", 1000).sender().toString()).isEqualTo("a@b.test");
        assertThat(EnvelopeParser.parseMail("<\"odd > local\"@b.test>", 1000).sender().localPart()).isEqualTo("\"odd > local\"");
    }

    @Test
    void badMailParameters() {
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b.test> SIZE=2000", 1000)).hasMessageStartingWith("552 5.3.4");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b.test> BODY=BINARYMIME", 1000)).hasMessageStartingWith("501");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b.test> ENVID=a=b", 1000)).hasMessageStartingWith("501");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b.test> XYZ=1", 1000)).hasMessageStartingWith("555");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("a@b.test", 1000)).hasMessageStartingWith("501");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b..test>", 1000)).hasMessageStartingWith("501 5.1.7");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<ü@b.test>", 1000)).hasMessageStartingWith("553 5.6.7");
        assertThatThrownBy(() -> EnvelopeParser.parseMail("<a@b.test> SIZE=1 SIZE=2", 1000)).hasMessageStartingWith("501");
    }

    @Test
    void rcptParameters() throws SmtpException {
        RcptTo r = EnvelopeParser.parseRcpt("<u@example.com> NOTIFY=success,DELAY ORCPT=rfc822;u+40example.com", false);
        assertThat(r.notifyOn()).containsExactlyInAnyOrder(RcptTo.Notify.SUCCESS, RcptTo.Notify.DELAY);
        assertThat(r.orcpt()).isEqualTo("rfc822;u+40example.com");
        assertThatThrownBy(() -> EnvelopeParser.parseRcpt("<u@example.com> NOTIFY=NEVER,SUCCESS", false)).hasMessageStartingWith("501");
        assertThatThrownBy(() -> EnvelopeParser.parseRcpt("<>", false)).hasMessageStartingWith("501");
        assertThatThrownBy(() -> EnvelopeParser.parseRcpt("<u@example.com> ORCPT=nosemicolon", false)).hasMessageStartingWith("501");
    }
}
