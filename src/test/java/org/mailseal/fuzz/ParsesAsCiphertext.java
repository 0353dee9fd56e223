package org.mailseal.fuzz;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.mailseal.mime.EncryptionDetector;
import org.mailseal.mime.MimeParts;
import org.mailseal.mime.RawHeader;

/** An independent second opinion on "this is ciphertext", from Bouncy Castle's parsers (test oracle). */
final class ParsesAsCiphertext {

    private ParsesAsCiphertext() {
    }

    static boolean check(byte[] msg, EncryptionDetector.Kind k) {
        try {
            BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(msg));
            RawHeader h = RawHeader.read(in, 1 << 20);
            String cte = h.value("Content-Transfer-Encoding");
            switch (k) {
                case SMIME -> {
                    byte[] der = decode(cte, in.readAllBytes());
                    try {
                        return new CMSEnvelopedData(der).getRecipientInfos().size() > 0;
                    } catch (Exception notEnveloped) {
                        return new CMSAuthEnvelopedData(der).getRecipientInfos().size() > 0;
                    }
                }
                case PGP_INLINE -> {
                    return pgp(new ByteArrayInputStream(decode(cte, in.readAllBytes())));
                }
                case PGP_MIME, PGP_MIME_MANGLED -> {
                    String boundary = org.mailseal.mime.ContentTypes.param(h.value("Content-Type"), "boundary");
                    MimeParts.Part p = MimeParts.open(in, boundary, k == EncryptionDetector.Kind.PGP_MIME ? 2 : 3);
                    String pcte = p.header().value("Content-Transfer-Encoding");
                    return pgp(new ByteArrayInputStream(decode(pcte, p.body().readAllBytes())));
                }
                default -> {
                    return false;
                }
            }
        } catch (Exception e) {
            return false;
        }
    }

    private static byte[] decode(String cte, byte[] b) {
        return cte != null && cte.trim().equalsIgnoreCase("base64")
                ? java.util.Base64.getMimeDecoder().decode(new String(b, StandardCharsets.US_ASCII).strip()) : b;
    }

    private static boolean pgp(InputStream in) throws Exception {
        Object o = new PGPObjectFactory(PGPUtil.getDecoderStream(in), new BcKeyFingerprintCalculator()).nextObject();
        return o instanceof PGPEncryptedDataList l && !l.isEmpty();
    }
}
