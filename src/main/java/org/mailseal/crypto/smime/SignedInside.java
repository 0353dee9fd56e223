package org.mailseal.crypto.smime;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import org.mailseal.mime.ContentTypes;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;
import org.mailseal.mime.StrictBase64InputStream;
import org.mailseal.mime.UnsignedRegions;

/**
 * The S/MIME signature inside a decrypted entity: it must be multipart/signed (RFC 8551 §3.5.3), every
 * byte outside the signed part clean text (CBC gives no integrity: garbled blocks are not text), and the
 * signature must verify with one of {@code registered}. Whether the signer and the time are acceptable
 * is the policy's question.
 */
public final class SignedInside {

    /** Not acceptable as a signed entity, with the reason for the log. */
    public static final class Invalid extends Exception {
        public Invalid(String reason) {
            super(reason);
        }
    }

    private SignedInside() {
    }

    public static SmimeVerifier.Result verify(Path plain, List<X509Certificate> registered) throws Invalid, IOException {
        RawHeader inner;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 65536)) {
            inner = RawHeader.read(in, RawHeader.MAX_SECTION);
        }
        String ct = inner.value("Content-Type");
        String protocol = ContentTypes.param(String.valueOf(ct), "protocol");
        String boundary = ContentTypes.param(String.valueOf(ct), "boundary");
        if (!inner.mediaType().equals("multipart/signed") || boundary == null || protocol == null
                || !protocol.trim().toLowerCase(Locale.ROOT).matches("application/(x-)?pkcs7-signature")) {
            throw new Invalid("S/MIME message is not signed inside the encryption");
        }
        if (!UnsignedRegions.clean(plain, boundary)) {
            throw new Invalid("S/MIME message: bytes outside the signed part are not text (tampered ciphertext?)");
        }
        byte[] raw;
        boolean base64;
        try (InputStream in = afterHeader(plain)) {
            MimeParts.Part sig = MimeParts.open(in, boundary, 2);
            String cte = sig.header().value("Content-Transfer-Encoding");
            base64 = cte != null && "base64".equalsIgnoreCase(cte.trim());
            raw = sig.body().readNBytes(2 << 20);
        } catch (MimeParts.MalformedException | IllegalArgumentException e) {
            throw new Invalid("S/MIME message: malformed signature part");
        }
        byte[] signature;
        try {
            signature = base64 ? new StrictBase64InputStream(new ByteArrayInputStream(raw)).readAllBytes() : raw;
        } catch (IOException e) {
            throw new Invalid("S/MIME message: signature part is not base64");
        }
        SmimeVerifier.Result r;
        try (InputStream in = afterHeader(plain)) {
            r = SmimeVerifier.verify(MimeParts.openRaw(in, boundary, 1), signature, registered);
        } catch (Exception e) {
            throw new Invalid("S/MIME message: signature unreadable (" + e.getMessage() + ")");
        }
        if (r.signer() == null) {
            throw new Invalid("S/MIME message not validly signed by a certificate registered to the sender");
        }
        return r;
    }

    private static InputStream afterHeader(Path p) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(p), 65536);
        RawHeader.read(in, RawHeader.MAX_SECTION);
        return in;
    }
}
