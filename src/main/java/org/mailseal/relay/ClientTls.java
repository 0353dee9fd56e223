package org.mailseal.relay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Client-side TLS contexts: one that checks nothing (policies may/encrypt), one that verifies. */
final class ClientTls {

    private final SSLContext opportunistic;
    private final SSLContext verifying;

    ClientTls(Path extraAnchors) throws IOException, GeneralSecurityException {
        opportunistic = SSLContext.getInstance("TLS");
        opportunistic.init(null, new TrustManager[] {new AcceptAll()}, null);
        verifying = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (extraAnchors == null) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = Files.newInputStream(extraAnchors)) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("anchor-" + i++, c);
                }
            }
            tmf.init(ks);
        }
        verifying.init(null, tmf.getTrustManagers(), null);
    }

    /** A context for one connection, trusting what {@code manager} says (DANE). */
    static SSLContext with(X509TrustManager manager) throws SSLException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {manager}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new SSLException(e);
        }
    }

    SSLContext opportunistic() {
        return opportunistic;
    }

    SSLContext verifying() {
        return verifying;
    }

    /** RFC 7435 opportunistic security: encrypt without authenticating (policies may and encrypt). */
    private static final class AcceptAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // not a server
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // unauthenticated encryption by design; "verify" uses the other context
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
