package org.mailseal.transport;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.X509TrustManager;

/**
 * Authenticates an SMTP server by its TLSA records (RFC 7672 §3), for one connection.
 * <ul>
 * <li>DANE-EE(3): the server's own certificate (or key) matches; no name check, no expiry check
 * (§3.1.1).</li>
 * <li>DANE-TA(2): a certificate in the chain the server sent matches; the chain from the server's
 * certificate up to it verifies, the server's certificate is in its validity period, and names one of the
 * reference identifiers: the MX host name or the next-hop domain (§3.2.2, RFC 6125 §6.4 with a wildcard
 * only as the whole left-most label).</li>
 * </ul>
 * Anything else fails the handshake, so the client never sends the message to an impostor.
 */
public final class DaneTrustManager implements X509TrustManager {

    private final List<Tlsa> records;
    private final List<String> names;
    private String matched;

    public DaneTrustManager(List<Tlsa> records, Collection<String> referenceNames) {
        this.records = records.stream().filter(Tlsa::usable).toList();
        this.names = referenceNames.stream().map(n -> n.toLowerCase(Locale.ROOT).replaceAll("\\.$", "")).toList();
    }

    /** What matched, after a successful handshake: "DANE-EE" or "DANE-TA". */
    public String matched() {
        return matched;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("no server certificate");
        }
        for (Tlsa t : records) {
            if (t.usage() == Tlsa.DANE_EE && t.matches(chain[0])) {
                matched = "DANE-EE";
                return;
            }
        }
        for (Tlsa t : records) {
            if (t.usage() != Tlsa.DANE_TA) {
                continue;
            }
            for (int i = 0; i < chain.length; i++) {
                if (t.matches(chain[i]) && chainVerifies(chain, i)) {
                    chain[0].checkValidity();
                    if (!namesMatch(chain[0])) {
                        throw new CertificateException("DANE-TA: the certificate does not name " + String.join(" or ", names));
                    }
                    matched = "DANE-TA";
                    return;
                }
            }
        }
        throw new CertificateException("no TLSA record matches the server's certificate chain (" + records + ")");
    }

    /** Each certificate from the server's up to index {@code anchor} is signed by the next one. */
    private static boolean chainVerifies(X509Certificate[] chain, int anchor) {
        try {
            for (int i = 0; i < anchor; i++) {
                if (!chain[i].getIssuerX500Principal().equals(chain[i + 1].getSubjectX500Principal())) {
                    return false;
                }
                chain[i].verify(chain[i + 1].getPublicKey());
            }
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private boolean namesMatch(X509Certificate cert) throws CertificateException {
        List<String> dnsNames = new ArrayList<>();
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                if (Integer.valueOf(2).equals(san.get(0))) {
                    dnsNames.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                }
            }
        }
        for (String want : names) {
            for (String have : dnsNames) {
                if (have.equals(want)) {
                    return true;
                }
                if (have.startsWith("*.") && want.indexOf('.') > 0 && want.substring(want.indexOf('.')).equals(have.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
