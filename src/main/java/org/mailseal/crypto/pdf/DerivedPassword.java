package org.mailseal.crypto.pdf;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derived PDF passwords: HMAC-SHA256 (RFC 2104) of the PDF's reference under the recipient's secret,
 * written as 20 characters of a 57-letter alphabet without look-alikes (about 116 bits). Each PDF has
 * its own password, none is stored, and whoever holds the secret (the gateway) can tell it again.
 */
public final class DerivedPassword {

    static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    static final int LENGTH = 20;

    private DerivedPassword() {
    }

    /** The reference printed on a PDF: 12 characters from the Message-ID (or queue id), grouped by 4. */
    public static String reference(String messageIdOrQueueId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(messageIdOrQueueId.strip().getBytes(StandardCharsets.UTF_8));
            String digits = new BigInteger(1, h).toString(32).toUpperCase(Locale.ROOT);
            String r = (digits + "000000000000").substring(0, 12).replace('0', 'W').replace('1', 'X').replace('I', 'Y').replace('O', 'Z');
            return r.substring(0, 4) + "-" + r.substring(4, 8) + "-" + r.substring(8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The password of the PDF with {@code reference} for the recipient whose secret is {@code secret}. */
    public static char[] derive(byte[] secret, String reference) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] out = mac.doFinal(("mailseal-pdf-password-v1\0" + reference.strip().toUpperCase(Locale.ROOT)).getBytes(StandardCharsets.US_ASCII));
            BigInteger n = new BigInteger(1, out);
            BigInteger base = BigInteger.valueOf(ALPHABET.length());
            char[] pw = new char[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                BigInteger[] qr = n.divideAndRemainder(base);
                pw[i] = ALPHABET.charAt(qr[1].intValue());
                n = qr[0];
            }
            return pw;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
