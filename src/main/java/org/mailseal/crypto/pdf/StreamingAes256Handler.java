package org.mailseal.crypto.pdf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.DecryptionMaterial;
import org.apache.pdfbox.pdmodel.encryption.PDEncryption;
import org.apache.pdfbox.pdmodel.encryption.SecurityHandler;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.encryption.StandardSecurityHandler;

/**
 * PDFBox's standard security handler, but encrypting streams without reading them into the heap: PDFBox
 * 3.0.8 takes each stream whole into a byte array before encrypting it, so a 40 MiB attachment needs
 * well over 80 MiB of heap. For AES-256 (ISO 32000-2 §7.6.3.3, algorithm 1.A: the file key itself,
 * AES-CBC, a random 16-byte IV in front, PKCS#7 padding) the raw stream goes to a temporary file, then
 * through SunJCE's AES into the stream's own (file-backed) storage. Other key lengths are PDFBox's.
 * PDFBox's handler is final, so this one wraps it: the standard handler writes the encryption
 * dictionary and derives the file key (R6), and this one takes its key and encrypts.
 */
final class StreamingAes256Handler extends SecurityHandler<StandardProtectionPolicy> {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final StandardSecurityHandler standard;

    StreamingAes256Handler(StandardProtectionPolicy policy) {
        super(policy);
        standard = new StandardSecurityHandler(policy);
    }

    @Override
    public void prepareDocumentForEncryption(PDDocument doc) throws IOException {
        standard.prepareDocumentForEncryption(doc);
        setKeyLength(standard.getKeyLength());
        setAES(standard.isAES());
        setEncryptionKey(standard.getEncryptionKey());
    }

    @Override
    public void prepareForDecryption(PDEncryption encryption, COSArray documentIDArray, DecryptionMaterial material) throws IOException {
        throw new UnsupportedOperationException("only for writing");
    }

    @Override
    public void encryptStream(COSStream stream, long objNum, int genNum) throws IOException {
        if (getKeyLength() != 256 || !stream.hasData()) {
            super.encryptStream(stream, objNum, genNum);
            return;
        }
        Path raw = Files.createTempFile("mailseal-pdf-", ".raw");
        try {
            try (InputStream in = stream.createRawInputStream()) {
                Files.copy(in, raw, StandardCopyOption.REPLACE_EXISTING);
            }
            byte[] iv = new byte[16];
            RANDOM.nextBytes(iv);
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(getEncryptionKey(), "AES"), new IvParameterSpec(iv));
            try (InputStream in = Files.newInputStream(raw); OutputStream out = stream.createRawOutputStream()) {
                out.write(iv);
                OutputStream enc = new CipherOutputStream(out, aes);
                in.transferTo(enc);
                enc.close();
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-256 for the PDF: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(raw);
        }
    }
}
