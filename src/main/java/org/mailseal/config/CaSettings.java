package org.mailseal.config;

/** The built-in CA: key algorithm for user certificates, their validity, and the published CRL URL. */
public record CaSettings(String userKeyAlgorithm, Integer userCertDays, String crlUrl, String name) {
    public CaSettings {
        userKeyAlgorithm = userKeyAlgorithm != null ? userKeyAlgorithm : "rsa3072";
        org.mailseal.crypto.smime.CertificateAuthority.Algo.parse(userKeyAlgorithm);
        userCertDays = userCertDays != null ? userCertDays : 730;
        name = name != null ? name : "mailseal CA";
        if (userCertDays < 1) {
            throw new IllegalArgumentException("userCertDays must be positive");
        }
        if (crlUrl != null && !crlUrl.matches("https?://\\S+")) {
            throw new IllegalArgumentException("crlUrl must be an http(s) URL");
        }
    }
}
