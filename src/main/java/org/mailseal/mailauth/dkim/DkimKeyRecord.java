package org.mailseal.mailauth.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A DKIM public key record (RFC 6376 §3.6.1) from {@code selector._domainkey.domain} TXT: the key, its
 * algorithm, and the flags. {@code p=} holds a SubjectPublicKeyInfo for RSA (or a bare RSAPublicKey,
 * which some publish) and the raw 32 bytes for Ed25519 (RFC 8463 §4.2).
 */
public record DkimKeyRecord(DkimAlgorithm algorithm, PublicKey key, boolean testing, boolean strictIdentity) {

    /** RFC 8301 §3.2: verifiers must not accept RSA keys under 1024 bits. */
    public static final int MIN_RSA_BITS = 1024;
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    public static DkimKeyRecord parse(String txt) throws DkimException {
        TagList t = TagList.parse(txt);
        String v = t.get("v");
        if (v != null && (!v.equals("DKIM1") || !txt.strip().startsWith("v"))) {
            throw new DkimException("key record: bad version"); // §3.6.1: v= first and exactly DKIM1
        }
        String h = t.compact("h");
        if (h != null && !Arrays.asList(h.toLowerCase(java.util.Locale.ROOT).split(":")).contains("sha256")) {
            throw new DkimException("key record: sha256 not allowed by h=");
        }
        String s = t.compact("s");
        if (s != null && !Arrays.asList(s.split(":")).contains("*") && !Arrays.asList(s.split(":")).contains("email")) {
            throw new DkimException("key record: not for email (s=" + s + ")");
        }
        String k = t.has("k") ? t.lower("k") : "rsa";
        String p = t.compact("p");
        if (p == null) {
            throw new DkimException("key record: no p=");
        }
        if (p.isEmpty()) {
            throw new DkimException("key revoked"); // §3.6.1: empty p= means revoked
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(p);
        } catch (IllegalArgumentException e) {
            throw new DkimException("key record: p= is not base64");
        }
        String flags = t.compact("t") == null ? "" : ":" + t.compact("t") + ":";
        PublicKey key;
        DkimAlgorithm alg;
        try {
            if (k.equals("rsa")) {
                alg = DkimAlgorithm.RSA_SHA256;
                key = rsa(der);
                if (((RSAPublicKey) key).getModulus().bitLength() < MIN_RSA_BITS) {
                    throw new DkimException("RSA key shorter than " + MIN_RSA_BITS + " bits (RFC 8301)");
                }
            } else if (k.equals("ed25519")) {
                alg = DkimAlgorithm.ED25519_SHA256;
                if (der.length != 32) {
                    throw new DkimException("key record: an Ed25519 key has 32 bytes");
                }
                byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
                System.arraycopy(der, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            } else {
                throw new DkimException("key record: unknown key type k=" + k);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new DkimException("key record: unusable key");
        }
        return new DkimKeyRecord(alg, key, flags.contains(":y:"), flags.contains(":s:"));
    }

    private static PublicKey rsa(byte[] der) throws GeneralSecurityException {
        KeyFactory kf = KeyFactory.getInstance("RSA");
        try {
            return kf.generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            org.bouncycastle.asn1.pkcs.RSAPublicKey pk = org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(der);
            return kf.generatePublic(new java.security.spec.RSAPublicKeySpec(pk.getModulus(), pk.getPublicExponent()));
        }
    }

    /** The {@code p=} value mailseal publishes for {@code key}. */
    public static String publish(DkimAlgorithm alg, PublicKey key) {
        byte[] spki = key.getEncoded();
        byte[] p = alg == DkimAlgorithm.ED25519_SHA256 ? Arrays.copyOfRange(spki, spki.length - 32, spki.length) : spki;
        return Base64.getEncoder().encodeToString(p);
    }

    /** The whole TXT record text for {@code key}. */
    public static String record(DkimAlgorithm alg, PublicKey key) {
        return "v=DKIM1; k=" + alg.keyType() + "; p=" + publish(alg, key);
    }

    /** Whether one of the TXT records found at a key's name is a DKIM key record for exactly {@code key}. */
    public static boolean publishes(java.util.List<String> txts, java.security.PublicKey key) {
        return txts.stream().anyMatch(txt -> {
            try {
                return parse(txt).key().equals(key);
            } catch (DkimException x) {
                return false;
            }
        });
    }
}
