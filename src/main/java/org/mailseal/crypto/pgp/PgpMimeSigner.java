package org.mailseal.crypto.pgp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Iterator;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.mailseal.mime.MultipartSigned;

/**
 * A PGP/MIME signature (RFC 3156 §5): a detached binary signature (type 0x00) with SHA-256 over the
 * first part as written (canonical CRLF), armored in an {@code application/pgp-signature} part.
 */
public final class PgpMimeSigner implements MultipartSigned.Signer {

    private final PGPSignatureGenerator gen;
    private final OutputStream sink;

    public PgpMimeSigner(PGPSecretKeyRing ring) throws PGPException {
        this(signingKeyOrFail(ring).getPublicKey(), signingKeyOrFail(ring).extractPrivateKey(
                new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0])),
                new BcPGPContentSignerBuilder(signingKeyOrFail(ring).getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256));
    }

    /** Signs with a key in a PKCS#11 token: the private key is a handle, the signature is made by the token. */
    public PgpMimeSigner(PGPPublicKey pub, java.security.PrivateKey tokenKey, java.security.Provider token) throws PGPException {
        this(pub, new org.bouncycastle.openpgp.operator.jcajce.JcaPGPPrivateKey(pub, tokenKey),
                new org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder(pub.getAlgorithm(), HashAlgorithmTags.SHA256).setProvider(token));
    }

    private PgpMimeSigner(PGPPublicKey pub, PGPPrivateKey priv, org.bouncycastle.openpgp.operator.PGPContentSignerBuilder builder) throws PGPException {
        gen = new PGPSignatureGenerator(builder, pub);
        gen.init(PGPSignature.BINARY_DOCUMENT, priv);
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(false, new Date());
        h.setIssuerFingerprint(false, pub);
        gen.setHashedSubpackets(h.generate());
        sink = new OutputStream() {
            @Override
            public void write(int b) {
                gen.update((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                gen.update(b, off, len);
            }
        };
    }

    private static PGPSecretKey signingKeyOrFail(PGPSecretKeyRing ring) throws PGPException {
        PGPSecretKey sk = signingKey(ring);
        if (sk == null) {
            throw new PGPException("key " + PgpKeys.fingerprint(ring.getPublicKey()) + " has no signing key");
        }
        return sk;
    }

    /** A secret key of {@code ring} that may sign data: a subkey flagged for signing, else the primary. */
    public static PGPSecretKey signingKey(PGPSecretKeyRing ring) {
        PGPSecretKey primary = ring.getSecretKey();
        for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
            PGPSecretKey k = it.next();
            if (k.isMasterKey() || k.isPrivateKeyEmpty()) {
                continue;
            }
            if ((flags(k.getPublicKey()) & KeyFlags.SIGN_DATA) != 0 && !k.getPublicKey().hasRevocation()) {
                return k;
            }
        }
        if (primary != null && !primary.isPrivateKeyEmpty() && primary.isSigningKey()) {
            int f = flags(primary.getPublicKey());
            if (f == 0 || (f & KeyFlags.SIGN_DATA) != 0) {
                return primary;
            }
        }
        return null;
    }

    private static int flags(PGPPublicKey k) {
        for (Iterator<PGPSignature> it = k.getSignatures(); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (s.getHashedSubPackets() != null && s.getHashedSubPackets().getKeyFlags() != 0) {
                return s.getHashedSubPackets().getKeyFlags();
            }
        }
        return 0;
    }

    @Override
    public String protocol() {
        return "application/pgp-signature";
    }

    @Override
    public String micalg() {
        return "pgp-sha256";
    }

    @Override
    public OutputStream content() {
        return sink;
    }

    @Override
    public byte[] signaturePart() throws PGPException, IOException {
        ByteArrayOutputStream armored = new ByteArrayOutputStream();
        try (ArmoredOutputStream a = ArmoredOutputStream.builder().clearHeaders().build(armored)) {
            gen.generate().encode(a);
        }
        String sig = armored.toString(StandardCharsets.US_ASCII).replaceAll("\r?\n", "\r\n");
        return ("Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
                + "Content-Description: OpenPGP digital signature\r\n"
                + "Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n" + sig).getBytes(StandardCharsets.US_ASCII);
    }
}
