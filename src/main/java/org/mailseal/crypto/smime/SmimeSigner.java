package org.mailseal.crypto.smime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapabilitiesAttribute;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.asn1.smime.SMIMEEncryptionKeyPreferenceAttribute;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSSignedDataStreamGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.mailseal.mime.MultipartSigned;

/**
 * An S/MIME signature (RFC 8551 §3.5.3): detached CMS SignedData with SHA-256, carrying the signer's
 * certificate chain and the SMIMECapabilities and SMIMEEncryptionKeyPreference signed attributes
 * (RFC 8551 §2.5.2, §2.5.3), so the recipient can answer encrypted.
 */
public final class SmimeSigner implements MultipartSigned.Signer {

    private final ByteArrayOutputStream der = new ByteArrayOutputStream();
    private final OutputStream content;

    public SmimeSigner(X509Certificate cert, PrivateKey key, List<X509Certificate> chain) throws Exception {
        SmimeEncryptor.ensureBc();
        SMIMECapabilityVector caps = new SMIMECapabilityVector();
        caps.addCapability(NISTObjectIdentifiers.id_aes256_GCM);
        caps.addCapability(NISTObjectIdentifiers.id_aes256_CBC);
        caps.addCapability(NISTObjectIdentifiers.id_aes128_CBC);
        ASN1EncodableVector attrs = new ASN1EncodableVector();
        attrs.add(new SMIMECapabilitiesAttribute(caps));
        attrs.add(new SMIMEEncryptionKeyPreferenceAttribute(
                new IssuerAndSerialNumber(X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()), cert.getSerialNumber())));
        String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        CMSSignedDataStreamGenerator gen = new CMSSignedDataStreamGenerator();
        // A key in a PKCS#11 token signs with the token's provider (the key never leaves it); digests with BC.
        org.bouncycastle.operator.jcajce.JcaContentSignerBuilder csb = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(alg);
        if (org.mailseal.crypto.TokenProviders.isTokenKey(key)) {
            csb.setProvider(org.mailseal.crypto.TokenProviders.providerOf(key));
        } else {
            csb.setProvider(BouncyCastleProvider.PROVIDER_NAME);
        }
        gen.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder(
                new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs)))
                .build(csb.build(key), cert));
        List<X509Certificate> certs = new ArrayList<>();
        certs.add(cert);
        certs.addAll(chain);
        gen.addCertificates(new JcaCertStore(certs));
        content = gen.open(der, false); // detached: the content is the first MIME part
    }

    @Override
    public String protocol() {
        return "application/pkcs7-signature";
    }

    @Override
    public String micalg() {
        return "sha-256";
    }

    @Override
    public OutputStream content() {
        return content;
    }

    @Override
    public byte[] signaturePart() throws IOException {
        String b64 = java.util.Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(der.toByteArray());
        return ("Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
                + "Content-Description: S/MIME Cryptographic Signature\r\n\r\n" + b64 + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
