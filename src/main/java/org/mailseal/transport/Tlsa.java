package org.mailseal.transport;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.xbill.DNS.TLSARecord;

/**
 * One TLSA record (RFC 6698 §2.1) as SMTP uses it (RFC 7672 §3.1): DANE-TA(2) and DANE-EE(3) only; PKIX-TA(0)
 * and PKIX-EE(1) are not usable for SMTP and are ignored by the caller.
 */
public record Tlsa(int usage, int selector, int matching, byte[] data) {

    public static final int DANE_TA = 2;
    public static final int DANE_EE = 3;

    public static Tlsa of(TLSARecord r) {
        return new Tlsa(r.getCertificateUsage(), r.getSelector(), r.getMatchingType(), r.getCertificateAssociationData());
    }

    /**
     * Whether this record is one we can use: usage 2 or 3, selector 0 (full certificate) or 1
     * (SubjectPublicKeyInfo), matching 0 (exact), 1 (SHA-256) or 2 (SHA-512), with data of the right length.
     * RFC 7672 §2.2: "unusable" records are skipped; if none is usable, the connection is not DANE-authenticated
     * but still must use TLS.
     */
    public boolean usable() {
        boolean lengthOk = switch (matching) {
            case 0 -> data.length > 0;
            case 1 -> data.length == 32;
            case 2 -> data.length == 64;
            default -> false;
        };
        return (usage == DANE_TA || usage == DANE_EE) && (selector == 0 || selector == 1) && lengthOk;
    }

    /** Whether {@code cert} is the one this record names (RFC 6698 §2.1.2–2.1.3). */
    public boolean matches(X509Certificate cert) {
        try {
            byte[] selected = selector == 0 ? cert.getEncoded() : cert.getPublicKey().getEncoded();
            byte[] digest = switch (matching) {
                case 0 -> selected;
                case 1 -> MessageDigest.getInstance("SHA-256").digest(selected);
                case 2 -> MessageDigest.getInstance("SHA-512").digest(selected);
                default -> null;
            };
            return digest != null && MessageDigest.isEqual(digest, data);
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            return false;
        }
    }

    /** The record's data as in a zone file (for TLS-RPT policy-string). */
    public String presentation() {
        return usage + " " + selector + " " + matching + " " + HexFormat.of().formatHex(data);
    }

    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(data);
        return usage + " " + selector + " " + matching + " " + (hex.length() > 16 ? hex.substring(0, 16) + "…" : hex);
    }
}
