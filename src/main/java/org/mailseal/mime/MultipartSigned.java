package org.mailseal.mime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Writes a signed message as {@code multipart/signed} (RFC 1847 §2.1): the original non-MIME header
 * fields outside, the original MIME entity as the first part, the detached signature as the second.
 * The first part is fed to the signer byte for byte as it is written (it is already canonical: the
 * spool holds CRLF lines). A single-part 8-bit body is re-encoded as base64 first, so that the signed
 * part is 7-bit and survives any transport (RFC 3156 §5, RFC 8551 §3.1.2).
 */
public final class MultipartSigned {

    private static final SecureRandom RANDOM = new SecureRandom();

    private MultipartSigned() {
    }

    /** One signature format (PGP/MIME or S/MIME). */
    public interface Signer {
        /** The {@code protocol} parameter. */
        String protocol();

        /** The {@code micalg} parameter. */
        String micalg();

        /** Receives the first part's bytes. */
        OutputStream content() throws IOException;

        /** The complete second part (its header, a blank line, its body), after all content. */
        byte[] signaturePart() throws Exception;
    }

    /**
     * @param h         the message header
     * @param body      the rest of the message
     * @param toBase64  re-encode a single-part body as base64 (it has 8-bit bytes)
     */
    public static void write(OutputStream o, RawHeader h, InputStream body, boolean toBase64, Signer signer) throws Exception {
        String boundary = "=_signed_" + HexFormat.of().formatHex(bytes(12));
        for (RawHeader.Field f : h.fields()) {
            if (!HeaderProtection.isStructural(f) && !f.name().isEmpty()) {
                o.write(HeaderProtection.crlf(f.raw()));
            }
        }
        o.write(ascii("MIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=" + signer.micalg() + ";\r\n\tprotocol=\""
                + signer.protocol() + "\";\r\n\tboundary=\"" + boundary + "\"\r\n\r\n"
                + "This is an OpenPGP/MIME or S/MIME signed message (RFC 1847).\r\n--" + boundary + "\r\n"));
        OutputStream signed = signer.content();
        OutputStream part = new BufferedOutputStream(new Tee(o, signed), 65536);
        boolean sawType = false;
        for (RawHeader.Field f : h.fields()) {
            if (!HeaderProtection.isStructural(f) || f.is("MIME-Version") || (toBase64 && f.is("Content-Transfer-Encoding"))) {
                continue;
            }
            sawType |= f.is("Content-Type");
            part.write(HeaderProtection.crlf(f.raw()));
        }
        if (!sawType) {
            part.write(ascii("Content-Type: text/plain; charset=us-ascii\r\n")); // RFC 2045 §5.2 default, made explicit
        }
        if (toBase64) {
            part.write(ascii("Content-Transfer-Encoding: base64\r\n\r\n"));
            OutputStream b64 = java.util.Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).wrap(new NonClosingOutputStream(part));
            body.transferTo(b64);
            b64.close();
            part.write(ascii("\r\n"));
        } else {
            part.write(ascii("\r\n"));
            body.transferTo(part);
        }
        part.flush();
        signed.close();
        o.write(ascii("\r\n--" + boundary + "\r\n"));
        o.write(signer.signaturePart());
        o.write(ascii("\r\n--" + boundary + "--\r\n"));
    }

    /** True if the stream has bytes that are not 7-bit (above 127, or NUL). */
    public static boolean has8bit(InputStream in) throws IOException {
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) > 0; ) {
            for (int i = 0; i < n; i++) {
                if (buf[i] < 0 || buf[i] == 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }


    /** Writes to both streams; closing closes neither. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
