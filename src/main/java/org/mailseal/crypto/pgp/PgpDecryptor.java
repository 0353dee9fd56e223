package org.mailseal.crypto.pgp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;

/**
 * Decrypts an OpenPGP message with a secret key the gateway holds. Every failure (no matching key,
 * bad session key, integrity check, truncation, malformed packets) is the same {@link PGPException}
 * "decryption failed" (RFC 9580 §13.5). The plaintext written to {@code out} must be discarded by the
 * caller unless this method returns normally: integrity is known only at the end.
 */
public final class PgpDecryptor {

    private PgpDecryptor() {
    }

    public static void decrypt(InputStream in, PGPSecretKeyRing secret, OutputStream out) throws PGPException {
        try {
            PGPObjectFactory f = new PGPObjectFactory(PGPUtil.getDecoderStream(in), new BcKeyFingerprintCalculator());
            Object o = f.nextObject();
            if (!(o instanceof PGPEncryptedDataList list)) {
                throw new PGPException("not an encrypted message");
            }
            for (Iterator<?> it = list.getEncryptedDataObjects(); it.hasNext(); ) {
                if (!(it.next() instanceof PGPPublicKeyEncryptedData pked)) {
                    continue;
                }
                PGPSecretKey sk = pked.getKeyIdentifier() != null ? secret.getSecretKey(pked.getKeyIdentifier().getKeyId()) : null;
                if (sk == null) {
                    continue;
                }
                PGPPrivateKey priv = sk.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]));
                InputStream clear = pked.getDataStream(new BcPublicKeyDataDecryptorFactory(priv));
                copyLiteral(new PGPObjectFactory(clear, new BcKeyFingerprintCalculator()), out, 0);
                if (!pked.isIntegrityProtected() || !pked.verify()) {
                    throw new PGPException("integrity check failed");
                }
                return;
            }
            throw new PGPException("no matching key");
        } catch (IOException | PGPException | RuntimeException e) {
            throw new PGPException("decryption failed");
        }
    }

    private static void copyLiteral(PGPObjectFactory f, OutputStream out, int depth) throws IOException, PGPException {
        Object o = f.nextObject();
        if (o instanceof PGPCompressedData c && depth < 1) { // at most one compression layer (RFC 9580 §13.14)
            copyLiteral(new PGPObjectFactory(c.getDataStream(), new BcKeyFingerprintCalculator()), out, depth + 1);
            return;
        }
        if (!(o instanceof PGPLiteralData lit)) {
            throw new PGPException("unexpected packet");
        }
        lit.getInputStream().transferTo(out);
        if (f.nextObject() != null) {
            throw new PGPException("trailing packets");
        }
    }
}
