package org.mailseal.mime;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Inline PGP (RFC 4880 §6.2 armor as a whole text body, not PGP/MIME). */
public final class InlinePgp {

    private InlinePgp() {
    }

    /**
     * True if the body of {@code message} is exactly one armored PGP MESSAGE block, with nothing but
     * blank lines around it. Armor quoted inside a longer text, or two blocks, do not count (EFAIL: only
     * whole-message encryption is ever decrypted).
     */
    public static boolean isWholeBody(Path message) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message), 65536)) {
            RawHeader.read(in, 4 * 1024 * 1024);
            int state = 0; // 0 before, 1 inside, 2 after
            for (byte[] l; (l = MimeParts.readLine(in)) != null; ) {
                String line = new String(l, StandardCharsets.ISO_8859_1).strip();
                switch (state) {
                    case 0 -> {
                        if (line.equals("-----BEGIN PGP MESSAGE-----")) {
                            state = 1;
                        } else if (!line.isEmpty()) {
                            return false;
                        }
                    }
                    case 1 -> {
                        if (line.equals("-----END PGP MESSAGE-----")) {
                            state = 2;
                        } else if (line.startsWith("-----")) {
                            return false;
                        }
                    }
                    default -> {
                        if (!line.isEmpty()) {
                            return false;
                        }
                    }
                }
            }
            return state == 2;
        } catch (MimeParts.MalformedException e) {
            return false;
        }
    }
}
