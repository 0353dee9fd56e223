package org.mailseal.mime;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.Base64;
import java.util.Locale;

/**
 * Proves from the bytes, without any key, that data has the shape of an encrypted message, streaming
 * and with no more than a few KiB held:
 *
 * <ul>
 *   <li>OpenPGP (RFC 9580 §10.3): optional Marker packets, one or more PKESK (v3, v6) or SKESK (v4–v6)
 *       packets, then exactly one SEIPD (v1, v2) or AEAD (LibrePGP tag 20) packet running to the end of
 *       the data, nothing after it;</li>
 *   <li>CMS (RFC 5652 §6, RFC 5083): a ContentInfo holding EnvelopedData or AuthEnvelopedData with at
 *       least one RecipientInfo and its encrypted content, nothing after it.</li>
 * </ul>
 *
 * The ciphertext itself must also look like ciphertext: a run of {@value #MAX_TEXT_RUN} or more
 * printable ASCII bytes (which random bytes give with probability about 10^-10 per position) means
 * readable text was dressed up as an encrypted packet, and the data is not accepted.
 */
public final class CiphertextShape {

    /** Printable bytes in a row that ciphertext practically never has. */
    static final int MAX_TEXT_RUN = 24;

    private CiphertextShape() {
    }

    /** An OpenPGP encrypted message, ASCII-armored ({@code PGP MESSAGE}) or binary, with only white space around it. */
    public static boolean openPgp(InputStream in) throws IOException {
        PushbackInputStream p = new PushbackInputStream(in, 1);
        int b;
        do {
            b = p.read();
        } while (b == ' ' || b == '\t' || b == '\r' || b == '\n');
        if (b < 0) {
            return false;
        }
        p.unread(b);
        return b == '-' ? armoredMessage(p) : packets(p);
    }

    /** One {@code -----BEGIN PGP MESSAGE-----} armor block (RFC 9580 §6.2) and only white space around it. */
    public static boolean armoredMessage(InputStream in) throws IOException {
        Armor a = new Armor(in);
        if (!a.begin()) {
            return false;
        }
        return packets(a) && a.endedCleanly();
    }

    /** A CMS ContentInfo with EnvelopedData or AuthEnvelopedData (DER or BER), nothing after it ({@link CmsShape}). */
    public static boolean cms(InputStream in) throws IOException {
        return CmsShape.check(in);
    }

    private static final int PKESK = 1;
    private static final int SKESK = 3;
    private static final int MARKER = 10;
    private static final int SEIPD = 18;
    private static final int AEAD = 20;

    // The packet sequence of an encrypted message, from the first packet header to the end of the data.
    private static boolean packets(InputStream in) throws IOException {
        int sessionKeys = 0;
        while (true) {
            Header h = Header.read(in);
            if (h == null) {
                return false; // ended before the encrypted data
            }
            switch (h.tag) {
                case MARKER -> {
                    if (sessionKeys > 0 || h.partial || h.length != 3 || !skip(h, in, 3)) {
                        return false;
                    }
                }
                case PKESK, SKESK -> {
                    if (h.partial || h.length < 2 || h.length > 65536) {
                        return false;
                    }
                    byte[] body = in.readNBytes((int) h.length);
                    int version = body.length == h.length ? body[0] : -1;
                    boolean ok = h.tag == PKESK ? version == 3 || version == 6 : version >= 4 && version <= 6;
                    if (!ok || !sessionKeyPacket(h.tag, body)) {
                        return false;
                    }
                    sessionKeys++;
                }
                case SEIPD, AEAD -> {
                    if (sessionKeys == 0) {
                        return false;
                    }
                    Body body = new Body(h, in);
                    int version = body.read();
                    boolean ok = h.tag == SEIPD ? version == 1 || version == 2 : version == 1;
                    if (!ok || !looksRandom(body, 16)) {
                        return false;
                    }
                    return Header.read(in) == null; // running to the end: nothing after the encrypted data
                }
                default -> {
                    return false;
                }
            }
        }
    }

    // A session-key packet as Bouncy Castle reads it: known algorithms, well-formed fields.
    private static boolean sessionKeyPacket(int tag, byte[] body) {
        java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream(body.length + 6);
        p.write(0xc0 | tag);
        p.write(0xff); // five-octet length (RFC 9580 §4.2.1.3)
        for (int i = 3; i >= 0; i--) {
            p.write((body.length >>> (8 * i)) & 0xff);
        }
        p.writeBytes(body);
        try (org.bouncycastle.bcpg.BCPGInputStream b = new org.bouncycastle.bcpg.BCPGInputStream(new java.io.ByteArrayInputStream(p.toByteArray()))) {
            org.bouncycastle.bcpg.Packet packet = b.readPacket();
            if (packet instanceof org.bouncycastle.bcpg.PublicKeyEncSessionPacket pk) {
                int alg = pk.getAlgorithm();
                return (alg == 1 || alg == 2 || alg == 16 || alg == 18 || alg == 25 || alg == 26) && b.read() < 0;
            }
            return packet instanceof org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket && b.read() < 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean skip(Header h, InputStream in, long n) throws IOException {
        if (h.length < 0 || n < 0) {
            return false;
        }
        try {
            in.skipNBytes(n);
            return true;
        } catch (java.io.EOFException e) {
            return false;
        }
    }

    /**
     * Reads {@code in} to its end; false if it holds a run of {@link #MAX_TEXT_RUN} printable bytes or
     * fewer than {@code min} bytes.
     */
    static boolean looksRandom(InputStream in, long min) throws IOException {
        RandomCheck c = new RandomCheck();
        byte[] buf = new byte[16384];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            c.update(buf, n);
        }
        return c.looksRandom(min);
    }

    /** The run-of-text test over data seen in pieces. */
    static final class RandomCheck {
        private int run;
        private long total;
        private boolean text;

        void update(byte[] buf, int n) {
            total += n;
            for (int i = 0; i < n && !text; i++) {
                int c = buf[i] & 0xff;
                run = (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n' ? run + 1 : 0;
                text = run >= MAX_TEXT_RUN;
            }
        }

        boolean looksRandom(long min) {
            return !text && total >= min;
        }
    }

    /** An OpenPGP packet header (RFC 9580 §4.2), both formats. */
    private static final class Header {
        int tag;
        long length;      // of this chunk; -1: to the end of the data (old-format indeterminate)
        boolean partial;  // partial body lengths follow (new format)

        static Header read(InputStream in) throws IOException {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if ((b & 0x80) == 0) {
                throw new IOException("not a packet header");
            }
            Header h = new Header();
            if ((b & 0x40) != 0) {
                h.tag = b & 0x3f;
                h.readNewLength(in, true);
            } else {
                h.tag = (b >> 2) & 0x0f;
                int lt = b & 3;
                h.length = switch (lt) {
                    case 0 -> u8(in);
                    case 1 -> (u8(in) << 8) | u8(in);
                    case 2 -> (u8(in) << 24) | (u8(in) << 16) | (u8(in) << 8) | u8(in);
                    default -> -1;
                };
            }
            return h;
        }

        void readNewLength(InputStream in, boolean first) throws IOException {
            int l = (int) u8(in);
            partial = false;
            if (l < 192) {
                length = l;
            } else if (l < 224) {
                length = ((long) (l - 192) << 8) + u8(in) + 192;
            } else if (l == 255) {
                length = (u8(in) << 24) | (u8(in) << 16) | (u8(in) << 8) | u8(in);
            } else {
                length = 1L << (l & 0x1f);

                partial = true;
                if (first && length < 512) {
                    throw new IOException("first partial body shorter than 512 octets"); // RFC 9580 §4.2.1.4
                }
            }
        }

        private static long u8(InputStream in) throws IOException { // as long, so the shifts above cannot overflow
            int b = in.read();
            if (b < 0) {
                throw new IOException("truncated packet header");
            }
            return b;
        }
    }

    /** An input read in chunks; single bytes go through the chunk read. */
    private abstract static class ChunkInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** A packet body across partial-length chunks; ends where the packet ends. */
    private static final class Body extends ChunkInput {
        private final Header h;
        private final InputStream in;
        private long left;

        Body(Header h, InputStream in) {
            this.h = h;
            this.in = in;
            this.left = h.length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (left == 0) {
                if (!h.partial) {
                    return -1;
                }
                h.readNewLength(in, false);
                left = h.length;
            }
            int n = in.read(b, off, left < 0 ? len : (int) Math.min(len, left));
            if (n < 0) {
                if (left < 0) {
                    return -1;
                }
                throw new IOException("truncated packet");
            }
            if (left > 0) {
                left -= n;
            }
            return n;
        }
    }

    /**
     * The base64 payload of one armor block, decoded as it is read. Before the block only white space
     * may stand; the header lines are limited to the armor headers of RFC 9580 §6.2.2; after the END line
     * only white space.
     */
    private static final class Armor extends ChunkInput {
        private final InputStream in;
        private byte[] chunk = new byte[0];
        private int pos;
        private boolean done;
        private boolean clean;
        private boolean padded;
        private int crc = Crc24.INIT;
        private int crcLine = -1;
        private boolean lastCrlf;
        private final StringBuilder pending = new StringBuilder();

        Armor(InputStream in) {
            this.in = in;
        }

        boolean begin() throws IOException {
            String l;
            do {
                l = line();
                if (l == null) {
                    return false;
                }
            } while (l.isBlank());
            if (!l.strip().equals("-----BEGIN PGP MESSAGE-----")) {
                return false;
            }
            boolean crlf = lastCrlf; // the header section keeps one line-ending style (as armor readers demand)
            while (true) {
                l = line();
                if (l == null || lastCrlf != crlf) {
                    return false;
                }
                if (l.isBlank()) {
                    return l.isEmpty();
                }
                int colon = l.indexOf(": ");
                String key = colon > 0 ? l.substring(0, colon).toLowerCase(Locale.ROOT) : "";
                if (!key.equals("version") && !key.equals("comment") && !key.equals("charset") && !key.equals("messageid")
                        && !key.equals("hash")) {
                    return false;
                }
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (pos >= chunk.length) {
                if (done) {
                    return -1;
                }
                String l = line();
                if (l == null) {
                    throw new IOException("armor ends without its END line");
                }
                String t = l.strip();
                if (t.equals("-----END PGP MESSAGE-----")) {
                    if (pending.length() > 0) {
                        throw new IOException("armor ends inside a base64 group");
                    }
                    if (crcLine >= 0 && crcLine != (crc & 0xffffff)) {
                        throw new IOException("armor checksum does not match");
                    }
                    done = true;
                    clean = trailerBlank();
                    return -1;
                }
                if (t.startsWith("=") && t.length() == 5) {
                    byte[] c = Base64.getDecoder().decode(t.substring(1)); // the optional CRC24 line (RFC 9580 §6.1)
                    crcLine = ((c[0] & 0xff) << 16) | ((c[1] & 0xff) << 8) | (c[2] & 0xff);
                    continue;
                }
                // no blank line inside the data, whole 4-character groups on every line (as armor writers and readers have it)
                if (t.isEmpty() || t.length() % 4 != 0 || !t.matches("[A-Za-z0-9+/]*={0,2}") || padded) {
                    throw new IOException("not base64 inside armor");
                }
                // base64 runs on across lines (RFC 9580 §6.2): decode whole 4-character groups only
                pending.append(t);
                padded = t.endsWith("=");
                int whole = pending.length() / 4 * 4;
                chunk = Base64.getDecoder().decode(pending.substring(0, whole));
                pending.delete(0, whole);
                crc = Crc24.update(crc, chunk, 0, chunk.length);
                pos = 0;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }

        boolean endedCleanly() throws IOException {
            while (!done) {
                if (read() < 0 && !done) {
                    return false;
                }
            }
            return clean;
        }

        private boolean trailerBlank() throws IOException {
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                    return false;
                }
            }
            return true;
        }

        // One line of at most 4 KiB (armor lines are 76 characters); longer is not armor. A CR only
        // before the LF: a CR inside a line is not armor either (a strict reader would not skip it).
        private String line() throws IOException {
            StringBuilder sb = new StringBuilder(80);
            boolean cr = false;
            for (int c = in.read(); ; c = in.read()) {
                if (c < 0) {
                    if (cr) {
                        throw new IOException("CR at the end of the armor");
                    }
                    return sb.length() == 0 ? null : sb.toString();
                }
                if (c == '\n') {
                    lastCrlf = cr;
                    return sb.toString();
                }
                if (cr) {
                    throw new IOException("bare CR inside an armor line");
                }
                if (sb.length() >= 4096) {
                    throw new IOException("armor line too long");
                }
                if (c == '\r') {
                    cr = true;
                } else {
                    sb.append((char) c);
                }
            }
        }
    }
}
