package org.mailseal.crypto.pgp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * Writes a PGP/MIME encrypted message (RFC 3156 §4): the outer header, then a multipart/encrypted body
 * whose second part is the armored OpenPGP message holding the inner entity. Streams: the body goes
 * from {@code body} through the cipher to {@code out} in 64 KiB chunks.
 *
 * <p>Profile, for GnuPG 2.2 and every other v4 implementation: SEIPDv1 (integrity protected) with
 * AES-256 (RFC 9580 §5.13.1), PKESKv3, no compression. The symmetric cipher runs on the JDK's SunJCE
 * provider (AES-NI), the public-key step on Bouncy Castle's lightweight API.
 */
public final class PgpMimeEncryptor {

    private static final SecureRandom RANDOM = new SecureRandom();

    private PgpMimeEncryptor() {
    }

    public static void write(OutputStream out, byte[] outerFields, byte[] innerHeader, InputStream body,
                             List<PGPPublicKey> keys) throws IOException, PGPException {
        byte[] rnd = new byte[12];
        RANDOM.nextBytes(rnd);
        String boundary = "mailseal-" + HexFormat.of().formatHex(rnd);
        out.write(outerFields);
        out.write(("MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
                + "\tboundary=\"" + boundary + "\"\r\n"
                + "\r\n"
                + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/pgp-encrypted\r\n"
                + "Content-Description: PGP/MIME version identification\r\n"
                + "\r\n"
                + "Version: 1\r\n"
                + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                + "Content-Description: OpenPGP encrypted message\r\n"
                + "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII));
        ArmorOutputStream armor = new ArmorOutputStream(out);
        encrypt(armor, innerHeader, body, keys);
        armor.close();
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The OpenPGP message alone (binary), for callers that do their own framing. */
    public static void encrypt(OutputStream out, byte[] innerHeader, InputStream body, List<PGPPublicKey> keys)
            throws IOException, PGPException {
        PGPEncryptedDataGenerator gen = new PGPEncryptedDataGenerator(
                new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                        .setWithIntegrityPacket(true)
                        .setSecureRandom(RANDOM)
                        .setProvider("SunJCE"));
        for (PGPPublicKey k : keys) {
            gen.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(k).setSecureRandom(RANDOM));
        }
        try (OutputStream enc = gen.open(new org.mailseal.mime.NonClosingOutputStream(out), new byte[1 << 16])) {
            PGPLiteralDataGenerator lit = new PGPLiteralDataGenerator();
            try (OutputStream l = lit.open(enc, PGPLiteralData.BINARY, "", new Date(), new byte[1 << 16])) {
                l.write(innerHeader);
                l.write('\r');
                l.write('\n');
                body.transferTo(l);
            }
        }
    }
}
