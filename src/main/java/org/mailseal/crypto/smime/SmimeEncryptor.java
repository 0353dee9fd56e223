package org.mailseal.crypto.smime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Base64;
import java.util.List;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaAlgorithmParametersConverter;

/**
 * Writes an S/MIME encrypted message (RFC 8551 §3.3): the outer header, then
 * {@code application/pkcs7-mime; smime-type=enveloped-data} holding CMS EnvelopedData (RFC 5652 §6)
 * with AES-256-CBC, base64 in 76-column lines. Key transport RSA PKCS#1 v1.5 (what Outlook opens),
 * RSA-OAEP (SHA-256) for certificates whose key is an RSAES-OAEP key, ECDH (ephemeral-static, SHA-256
 * KDF, AES-256 key wrap, RFC 5753) for EC certificates. With {@code gcm}, AuthEnvelopedData with
 * AES-256-GCM (RFC 5083/5084, smime-type=authEnveloped-data). Streams; AES runs on SunJCE.
 */
public final class SmimeEncryptor {

    private SmimeEncryptor() {
    }

    static void ensureBc() {
        org.mailseal.crypto.Providers.register();
    }

    public static void write(OutputStream out, byte[] outerFields, byte[] innerHeader, InputStream body,
                             List<X509Certificate> recipients, boolean gcm) throws IOException, GeneralSecurityException, CMSException {
        ensureBc();
        String type = gcm ? "authEnveloped-data" : "enveloped-data";
        out.write(outerFields);
        out.write(("MIME-Version: 1.0\r\n"
                + "Content-Type: application/pkcs7-mime; smime-type=" + type + "; name=\"smime.p7m\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                + "Content-Description: S/MIME Encrypted Message\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII));
        OutputStream b64 = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).wrap(new org.mailseal.mime.NonClosingOutputStream(out));
        OutputStream cms;
        if (gcm) {
            CMSAuthEnvelopedDataStreamGenerator g = new CMSAuthEnvelopedDataStreamGenerator();
            for (X509Certificate c : recipients) {
                g.addRecipientInfoGenerator(recipientInfo(c));
            }
            g.setBufferSize(1 << 16);
            cms = g.open(b64, (org.bouncycastle.operator.OutputAEADEncryptor) new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_GCM).setProvider("SunJCE").build());
        } else {
            CMSEnvelopedDataStreamGenerator g = new CMSEnvelopedDataStreamGenerator();
            for (X509Certificate c : recipients) {
                g.addRecipientInfoGenerator(recipientInfo(c));
            }
            g.setBufferSize(1 << 16);
            cms = g.open(b64, new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider("SunJCE").build());
        }
        cms.write(innerHeader);
        cms.write('\r');
        cms.write('\n');
        body.transferTo(cms);
        cms.close();
        b64.close();
        out.write('\r');
        out.write('\n');
    }

    static RecipientInfoGenerator recipientInfo(X509Certificate c) throws GeneralSecurityException {
        if (c.getPublicKey() instanceof ECPublicKey ec) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(ec.getParams());
            KeyPair eph = g.generateKeyPair();
            return new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, eph.getPrivate(), eph.getPublic(), CMSAlgorithm.AES256_WRAP)
                    .addRecipient(c).setProvider(BouncyCastleProvider.PROVIDER_NAME);
        }
        if (c.getPublicKey() instanceof RSAPublicKey || c.getPublicKey().getAlgorithm().equals("RSA")) {
            if (PKCSObjectIdentifiers.id_RSAES_OAEP.getId().equals(c.getSigAlgOID()) || isOaepKey(c)) {
                return new JceKeyTransRecipientInfoGenerator(c, new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                        PKCSObjectIdentifiers.id_RSAES_OAEP, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT)))
                        .setProvider(BouncyCastleProvider.PROVIDER_NAME);
            }
            return new JceKeyTransRecipientInfoGenerator(c).setProvider(BouncyCastleProvider.PROVIDER_NAME);
        }
        throw new GeneralSecurityException("unsupported certificate key " + c.getPublicKey().getAlgorithm());
    }

    /** RFC 4055 §1.2: a certificate whose subjectPublicKeyInfo says id-RSAES-OAEP wants OAEP. */
    private static boolean isOaepKey(X509Certificate c) {
        try {
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded());
            return spki.getAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.id_RSAES_OAEP);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
