package org.mailseal.wkd;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The Web Key Directory's name for a local part (draft-koch-openpgp-webkey-service §3.1): the SHA-1 of
 * the local part mapped to lower case (ASCII only), encoded in z-base-32 (32 characters).
 */
public final class WkdHash {

    private static final String ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769";

    private WkdHash() {
    }

    public static String of(String localPart) {
        StringBuilder lower = new StringBuilder(localPart.length());
        for (char c : localPart.toCharArray()) {
            lower.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c); // only ASCII upper case is mapped (§3.1)
        }
        byte[] sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1").digest(lower.toString().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return zbase32(sha1);
    }

    static String zbase32(byte[] data) {
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(ZBASE32.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(ZBASE32.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    /** The domain as WKD paths and hosts use it: lower case. */
    static String domain(String d) {
        return d.toLowerCase(Locale.ROOT);
    }
}
