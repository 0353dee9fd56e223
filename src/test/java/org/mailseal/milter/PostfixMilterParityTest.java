package org.mailseal.milter;

import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.PrivatePostfix;

/** The milter lane in a real, private Postfix: smtpd_milters with milter_default_action = tempfail. */
@NeedsPeers({"postfix=postfix", "smtp-sink=postfix", "clamd=clamav-daemon", "sigtool=clamav", "gpg=gnupg"})
class PostfixMilterParityTest extends MilterParitySuite {

    @Override
    Mta startMta(int smtpPort, int sinkPort, int milterPort) throws Exception {
        PrivatePostfix p = PrivatePostfix.start(smtpPort, sinkPort, String.join("\n",
                "smtpd_milters = inet:127.0.0.1:" + milterPort,
                "milter_default_action = tempfail",
                "milter_protocol = 6"), "");
        return new Mta() {
            @Override
            public long queued() throws Exception {
                return p.queued();
            }

            @Override
            public void close() throws Exception {
                p.close();
            }
        };
    }

    @Override
    String milterDownReply() {
        return "451 4.7.1"; // Postfix: "Service unavailable - try again later"
    }
}
