package org.mailseal.milter;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One milter protocol packet (Sendmail libmilter, protocol version 6): a 4-byte big-endian length,
 * a one-byte command, then {@code length - 1} bytes of data. Strings in the data are NUL-terminated.
 */
record MilterPacket(char command, byte[] data) {

    /** The MTA never needs more: a body chunk is at most 64 KiB (MILTER_CHUNK_SIZE). */
    static final int MAX_LENGTH = 1 << 20;

    // Commands from the MTA.
    static final char OPTNEG = 'O';
    static final char MACRO = 'D';
    static final char CONNECT = 'C';
    static final char HELO = 'H';
    static final char MAIL = 'M';
    static final char RCPT = 'R';
    static final char DATA = 'T';
    static final char HEADER = 'L';
    static final char EOH = 'N';
    static final char BODY = 'B';
    static final char BODYEOB = 'E';
    static final char ABORT = 'A';
    static final char QUIT = 'Q';
    static final char QUIT_NC = 'K';
    static final char UNKNOWN = 'U';

    // Replies to the MTA.
    static final char CONTINUE = 'c';
    static final char ACCEPT = 'a';
    static final char TEMPFAIL = 't';
    static final char REPLYCODE = 'y';
    static final char REPLBODY = 'b';
    static final char ADDHEADER = 'h';
    static final char CHGHEADER = 'm';
    static final char DISCARD = 'd';

    // Option negotiation.
    static final int VERSION = 6;
    static final int SMFIF_ADDHDRS = 0x01;
    static final int SMFIF_CHGBODY = 0x02;
    static final int SMFIF_CHGHDRS = 0x10;
    /** Header values keep their leading space, so headers can be rebuilt byte for byte. */
    static final int SMFIP_HDR_LEADSPC = 0x00100000;
    // No reply to these commands (libmilter's mfdef.h): mailseal always continues at them, so the MTA need
    // not wait for an answer to every header and body chunk. The decisions come at RCPT and end of message.
    static final int SMFIP_NR_HDR = 0x00000080;
    static final int SMFIP_NR_CONN = 0x00001000;
    static final int SMFIP_NR_HELO = 0x00002000;
    static final int SMFIP_NR_DATA = 0x00010000;
    static final int SMFIP_NR_UNKN = 0x00020000;
    static final int SMFIP_NR_EOH = 0x00040000;
    static final int SMFIP_NR_BODY = 0x00080000;
    static final int NO_REPLY = SMFIP_NR_HDR | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY;

    static MilterPacket read(DataInputStream in) throws IOException {
        int len;
        try {
            len = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (len < 1 || len > MAX_LENGTH) {
            throw new IOException("bad milter packet length " + len);
        }
        char cmd = (char) in.readUnsignedByte();
        byte[] data = new byte[len - 1];
        in.readFully(data);
        return new MilterPacket(cmd, data);
    }

    static void write(DataOutputStream out, char command, byte[] data) throws IOException {
        out.writeInt(data.length + 1);
        out.writeByte(command);
        out.write(data);
    }

    /** The NUL-terminated strings in the data. */
    List<String> strings() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                out.add(new String(data, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < data.length) {
            out.add(new String(data, start, data.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The NUL-terminated byte strings in the data, undecoded (header fields may hold any octets). */
    List<byte[]> byteStrings() {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                out.add(java.util.Arrays.copyOfRange(data, start, i));
                start = i + 1;
            }
        }
        if (start < data.length) {
            out.add(java.util.Arrays.copyOfRange(data, start, data.length));
        }
        return out;
    }

    static byte[] strings(String... s) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String x : s) {
            b.writeBytes(x.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }
}
