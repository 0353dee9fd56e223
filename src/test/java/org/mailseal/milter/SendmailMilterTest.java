package org.mailseal.milter;

import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.PrivateSendmail;

/** The milter lane in a real Sendmail 8.17 (Debian's sendmail-bin, a private instance): INPUT_MAIL_FILTER with F=T. */
@NeedsPeers({PrivateSendmail.BINARY + "=" + PrivateSendmail.HOW, "m4=m4", "clamd=clamav-daemon", "sigtool=clamav", "gpg=gnupg"})
class SendmailMilterTest extends MilterParitySuite {

    @Override
    Mta startMta(int smtpPort, int sinkPort, int milterPort) throws Exception {
        PrivateSendmail s = PrivateSendmail.start(smtpPort, sinkPort, milterPort);
        return new Mta() {
            @Override
            public long queued() throws Exception {
                return s.queued();
            }

            @Override
            public void close() throws Exception {
                s.close();
            }
        };
    }

    @Override
    String milterDownReply() {
        return "451 4.3.2"; // Sendmail's "Please try again later" when an F=T filter is unavailable
    }
}
