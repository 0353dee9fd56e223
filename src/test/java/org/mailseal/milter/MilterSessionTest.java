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

    /**
     * An MTA that offers SMFIP_NR_* (Postfix and Sendmail do) gets no answer to connect, helo, data,
     * headers, end of headers and body chunks; the next thing it reads is the answer at RCPT or at the end
     * of the message. A reply it did not wait for would be read as the answer to the next command.
     */
    @Test
    void noRepliesWhereTheMtaNeedsNone() throws Exception {
        int milter = TestGateway.freePort();
        Files.createDirectories(dir.resolve("data"));
        try (Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("data"), TestGateway.freePort(), 0, 1,
                "milter: {enabled: true, listen: \"127.0.0.1:" + milter + "\"}", "policy: {encrypt: never}"));
             Socket s = new Socket("127.0.0.1", milter)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            int offered = MilterPacket.SMFIP_HDR_LEADSPC | MilterPacket.NO_REPLY;
            MilterPacket agreed = ask(out, in, MilterPacket.OPTNEG, ByteBuffer.allocate(12).putInt(6).putInt(0x3F).putInt(offered).array());
            assertThat(ByteBuffer.wrap(agreed.data()).getInt(8)).isEqualTo(offered);
            byte[] connect = ByteBuffer.allocate(64).put("client.test\0".getBytes(StandardCharsets.US_ASCII)).put((byte) '4')
                    .putShort((short) 25).put("192.0.2.1\0".getBytes(StandardCharsets.US_ASCII)).flip().array();
            MilterPacket.write(out, MilterPacket.CONNECT, java.util.Arrays.copyOf(connect, 11 + 1 + 1 + 2 + 10));
            MilterPacket.write(out, MilterPacket.HELO, MilterPacket.strings("client.test"));
            assertThat(ask(out, in, MilterPacket.MAIL, MilterPacket.strings("<bob@internet.test>")).command()).isEqualTo(MilterPacket.CONTINUE);
            assertThat(ask(out, in, MilterPacket.RCPT, MilterPacket.strings("<alice@example.com>")).command()).isEqualTo(MilterPacket.CONTINUE);
            MilterPacket.write(out, MilterPacket.DATA, new byte[0]);
            MilterPacket.write(out, MilterPacket.HEADER, MilterPacket.strings("Subject", " hello"));
            MilterPacket.write(out, MilterPacket.HEADER, MilterPacket.strings("From", " bob@internet.test"));
            MilterPacket.write(out, MilterPacket.EOH, new byte[0]);
            MilterPacket.write(out, MilterPacket.BODY, "plain body\r\n".getBytes(StandardCharsets.US_ASCII));
            MilterPacket.write(out, MilterPacket.BODYEOB, new byte[0]);
            MilterPacket.write(out, MilterPacket.QUIT, new byte[0]);
            out.flush();
            java.util.List<Character> replies = new java.util.ArrayList<>();
            for (MilterPacket p = MilterPacket.read(in); p != null; p = MilterPacket.read(in)) {
                replies.add(p.command());
            }
            // Only the end of message's answer: its edits, if any, then accept or continue; no stray CONTINUE before.
            assertThat(replies).isNotEmpty();
            assertThat(replies.get(replies.size() - 1)).isIn(MilterPacket.ACCEPT, MilterPacket.CONTINUE);
            assertThat(replies.subList(0, replies.size() - 1)).doesNotContain(MilterPacket.CONTINUE);
        }
    }
}
