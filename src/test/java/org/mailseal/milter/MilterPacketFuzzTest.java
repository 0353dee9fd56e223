package org.mailseal.milter;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Order;

/** The milter packet reader over arbitrary bytes: packets or IOException, nothing else, no huge allocation. */
@Order(Integer.MAX_VALUE - 1)
class MilterPacketFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void packets(byte[] data) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        try {
            for (int i = 0; i < 10_000 && MilterPacket.read(in) != null; i++) {
                // keep reading
            }
        } catch (IOException expected) {
            // a bad packet ends the session
        }
    }
}
