package org.mailseal.crypto.smime;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cms.CMSSignedDataParser;
import org.bouncycastle.cms.CMSTypedStream;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Checks a detached S/MIME signature (RFC 8551 §3.5.3) over the first part of a multipart/signed
 * against a given set of certificates (those registered to the sender): only a signer among them counts.
 */
public final class SmimeVerifier {

    private SmimeVerifier() {
    }

    /**
     * A checked signature: which registered certificate made it, when (signingTime), and the SHA-256 of
     * its signature value (the replay-cache key). {@code signer} null: no valid signature by any of them.
     */
    public record Result(X509Certificate signer, Instant signingTime, byte[] digest) {
    }

    public static Result verify(InputStream signedContent, byte[] signature, List<X509Certificate> registered) throws Exception {
        SmimeEncryptor.ensureBc();
        CMSSignedDataParser sp = new CMSSignedDataParser(new JcaDigestCalculatorProviderBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build(),
                new CMSTypedStream(signedContent), signature);
        sp.getSignedContent().drain();
        for (SignerInformation si : sp.getSignerInfos().getSigners()) {
            for (X509Certificate c : registered) {
                if (!si.getSID().match(new org.bouncycastle.cert.jcajce.JcaX509CertificateHolder(c))) {
                    continue;
                }
                if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build(c))) {
                    continue;
                }
                AttributeTable attrs = si.getSignedAttributes();
                Attribute t = attrs != null ? attrs.get(CMSAttributes.signingTime) : null;
                Instant when = t != null ? Time.getInstance(t.getAttrValues().getObjectAt(0)).getDate().toInstant() : null;
                return new Result(c, when, MessageDigest.getInstance("SHA-256").digest(si.getSignature()));
            }
        }
        return new Result(null, null, null);
    }
}
