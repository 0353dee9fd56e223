package org.mailseal.crypto.smime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collection;
import org.bouncycastle.cms.CMSAuthEnvelopedDataParser;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.KeyAgreeRecipientInformation;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientId;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Decrypts CMS EnvelopedData or AuthEnvelopedData (binary DER/BER) with a certificate and key the
 * gateway holds. Every failure is the same "decryption failed"; with AuthEnvelopedData the output must
 * be discarded unless this returns normally (the tag is checked at the end).
 */
public final class SmimeDecryptor {

    private SmimeDecryptor() {
    }

    /** A certificate and its private key that the gateway may decrypt with. */
    public record Candidate(X509Certificate cert, PrivateKey key) {
    }

    public static void decrypt(InputStream der, boolean authEnveloped, X509Certificate cert, PrivateKey key, OutputStream out) throws CMSException {
        if (decrypt(der, authEnveloped, java.util.List.of(new Candidate(cert, key)), out).isEmpty()) {
            throw new CMSException("decryption failed");
        }
    }

    /**
     * Decrypts with whichever candidate the message has a RecipientInfo for; empty if none (the message
     * is for someone else). Any failure after that is the same "decryption failed".
     */
    public static java.util.Optional<Candidate> decrypt(InputStream der, boolean authEnveloped, java.util.List<Candidate> candidates,
                                                        OutputStream out) throws CMSException {
        SmimeEncryptor.ensureBc();
        try {
            RecipientInformationStore ris = authEnveloped ? new CMSAuthEnvelopedDataParser(der).getRecipientInfos() : new CMSEnvelopedDataParser(der).getRecipientInfos();
            RecipientInformation ri = null;
            Candidate used = null;
            for (Candidate c : candidates) {
                ri = ris.get(new JceKeyTransRecipientId(c.cert()));
                if (ri == null) {
                    Collection<RecipientInformation> all = ris.getRecipients(new JceKeyAgreeRecipientId(c.cert()));
                    ri = all.isEmpty() ? null : all.iterator().next();
                }
                if (ri != null) {
                    used = c;
                    break;
                }
            }
            if (ri == null) {
                return java.util.Optional.empty();
            }
            PrivateKey key = used.key();
            Recipient r;
            if (org.mailseal.crypto.TokenProviders.isTokenKey(key)) {
                // The token unwraps the content key (RSA); the content is decrypted with BC.
                r = new JceKeyTransEnvelopedRecipient(key).setProvider(org.mailseal.crypto.TokenProviders.providerOf(key))
                        .setContentProvider(BouncyCastleProvider.PROVIDER_NAME).setMustProduceEncodableUnwrappedKey(true);
            } else {
                r = ri instanceof KeyAgreeRecipientInformation
                        ? new JceKeyAgreeEnvelopedRecipient(key).setProvider(BouncyCastleProvider.PROVIDER_NAME)
                        : new JceKeyTransEnvelopedRecipient(key).setProvider(BouncyCastleProvider.PROVIDER_NAME);
            }
            try (InputStream content = ri.getContentStream(r).getContentStream()) {
                content.transferTo(out);
            }
            return java.util.Optional.of(used);
        } catch (CMSException | IOException | RuntimeException e) {
            throw new CMSException("decryption failed");
        }
    }
}
