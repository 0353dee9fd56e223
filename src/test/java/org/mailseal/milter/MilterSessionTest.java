package org.mailseal.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.Gateway;
import org.mailseal.testkit.TestGateway;

/**
 * The milter protocol spoken to mailseal directly, as an MTA would, for the paths an attacker controls:
 * a recipient mailseal cannot parse must not reach the MTA's delivery untouched.
 */
class MilterSessionTest {

    @TempDir
    Path dir;

    static MilterPacket ask(DataOutputStream out, DataInputStream in, char cmd, byte[] data) throws Exception {
        MilterPacket.write(out, cmd, data);
        out.flush();
        return MilterPacket.read(in);
    }

    @Test
    void anUnparseableRecipientIsRefusedAndAMessageWithoutRecipientsIsTempfailed() throws Exception {
        int milter = TestGateway.freePort();
        Files.createDirectories(dir.resolve("data"));
        try (Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), TestGateway.freePort(), 0, 1,
                "milter: {enabled: true, listen: \"127.0.0.1:" + milter + "\"}"));
             Socket s = new Socket("127.0.0.1", milter)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            ByteBuffer neg = ByteBuffer.allocate(12).putInt(6).putInt(0x3F).putInt(MilterPacket.SMFIP_HDR_LEADSPC);
            assertThat(ask(out, in, MilterPacket.OPTNEG, neg.array()).command()).isEqualTo(MilterPacket.OPTNEG);
            byte[] connect = ByteBuffer.allocate(64).put("client.test\0".getBytes(StandardCharsets.US_ASCII)).put((byte) '4')
                    .putShort((short) 25).put("192.0.2.1\0".getBytes(StandardCharsets.US_ASCII)).flip().array();
            assertThat(ask(out, in, MilterPacket.CONNECT, java.util.Arrays.copyOf(connect, 11 + 1 + 1 + 2 + 10)).command())
                    .isEqualTo(MilterPacket.CONTINUE);
            assertThat(ask(out, in, MilterPacket.MAIL, MilterPacket.strings("<bob@internet.test>")).command()).isEqualTo(MilterPacket.CONTINUE);
            MilterPacket bad = ask(out, in, MilterPacket.RCPT, MilterPacket.strings("<alice@example..com>"));
            assertThat(bad.command()).isEqualTo(MilterPacket.REPLYCODE);
            assertThat(new String(bad.data(), StandardCharsets.US_ASCII)).startsWith("553 5.1.3");
            // Were the MTA to go on to the end of the message anyway, nothing passes untouched.
            assertThat(ask(out, in, MilterPacket.BODYEOB, new byte[0]).command()).isEqualTo(MilterPacket.TEMPFAIL);
        }
    }
}
