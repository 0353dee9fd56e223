package org.mailseal.mime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks what a multipart/signed entity's signature does not cover: its header, the preamble, the
 * signature part and the epilogue. Decrypted CBC data has no integrity of its own: a flipped ciphertext
 * byte turns 16 plaintext bytes into random ones. Inside the signed part the signature catches that;
 * outside it, this check does: every byte there must be text (printable ASCII, TAB, CRLF line ends; in
 * the header also well-formed UTF-8, RFC 6532), which 16 random bytes practically never are.
 */
public final class UnsignedRegions {

    private UnsignedRegions() {
    }

    public static boolean clean(Path entity, String boundary) throws IOException {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(entity), 65536)) {
            int state = 0; // 0 header, 1 preamble, 2 signed part, 3 the rest
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            boolean headerLineEmpty = true;
            int prev = -1;
            for (int b = in.read(); b >= 0; prev = b, b = in.read()) {
                if (state != 2 && !textByte(b, prev, state == 0)) {
                    return false;
                }
                if (b == '\n') {
                    byte[] l = line.toByteArray();
                    if (state == 0) {
                        if (!utf8(l)) {
                            return false;
                        }
                        if (headerLineEmpty) {
                            state = 1;
                        }
                    } else if (state < 3 && isDelimiter(l, delimiter)) {
                        state++;
                    }
                    line.reset();
                    headerLineEmpty = true;
                    continue;
                }
                if (b != '\r') {
                    headerLineEmpty = false;
                }
                if (state == 0 || line.size() < delimiter.length + 64) {
                    line.write(b);
                } else if (state != 0) {
                    line.write(0); // too long to be a delimiter line; keep it so
                }
                if (state == 0 && line.size() > 1 << 20) {
                    return false;
                }
            }
            return state == 3 && prev != '\r';
        }
    }

    // Printable ASCII, TAB, CR only before LF and LF only after CR; 8-bit only in the header (UTF-8, checked per line).
    private static boolean textByte(int b, int prev, boolean header) {
        if (b == '\n') {
            return prev == '\r';
        }
        if (prev == '\r') {
            return false; // a bare CR
        }
        return b == '\r' || b == '\t' || (b >= 0x20 && b < 0x7f) || (header && b >= 0x80);
    }

    private static boolean utf8(byte[] line) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line)).toString();
            return s.chars().noneMatch(c -> c >= 0x80 && c <= 0x9f);
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    // "--boundary" or "--boundary--", then only white space and the CR (RFC 2046 §5.1.1).
    private static boolean isDelimiter(byte[] l, byte[] delimiter) {
        if (l.length < delimiter.length) {
            return false;
        }
        for (int i = 0; i < delimiter.length; i++) {
            if (l[i] != delimiter[i]) {
                return false;
            }
        }
        int i = delimiter.length;
        if (i + 1 < l.length && l[i] == '-' && l[i + 1] == '-') {
            i += 2;
        }
        for (; i < l.length; i++) {
            if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
