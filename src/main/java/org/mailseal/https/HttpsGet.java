package org.mailseal.https;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.mailseal.dns.DnsResolver;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The one HTTPS client for what mailseal fetches from other sites (WKD keys, MTA-STS policies): HTTP/1.1
 * GET, names resolved by the gateway's resolver, TLS verified (PKIX against the JDK's CAs plus configured
 * anchors, the host name per RFC 6125, SNI), redirects never followed, answers over 1 MiB refused. Every
 * outcome is typed: {@link NoHost} (the name or its address does not exist), {@link NotFound} (HTTP 404),
 * or an {@link IOException} for everything temporary.
 */
public final class HttpsGet {

    private static final int MAX_BYTES = 1 << 20;

    /** The host name does not exist or has no address: the caller may try its fallback. */
    public static final class NoHost extends IOException {
        public NoHost(String m) {
            super(m);
        }
    }

    /** HTTP 404. */
    public static final class NotFound extends IOException {
        public NotFound() {
            super("404");
        }
    }

    private final DnsResolver dns;
    private final SSLContext tls;
    private final Duration timeout;
    private final int port;

    public HttpsGet(DnsResolver dns, SSLContext tls, Duration timeout, int port) {
        this.dns = dns;
        this.tls = tls;
        this.timeout = timeout;
        this.port = port;
    }

    /** The body of a 200 for {@code https://host:port/path}. */
    public byte[] get(String host, String path) throws IOException {
        return get(address(host), host, path);
    }

    /** The host's first address; {@link NoHost} when the name or an address does not exist. */
    public InetAddress address(String name) throws IOException {
        if (name.equalsIgnoreCase("localhost")) {
            return InetAddress.getLoopbackAddress();
        }
        if (name.matches("[0-9.]+") || name.contains(":")) {
            return InetAddress.getByName(name); // an address literal: no DNS
        }
        String why = null;
        for (int type : new int[] {Type.A, Type.AAAA}) {
            DnsResolver.Answer<Record> a = dns.lookup(name, type);
            if (a.status() == DnsResolver.Status.FOUND) {
                for (Record r : a.records()) {
                    if (r instanceof ARecord ar) {
                        return ar.getAddress();
                    }
                    if (r instanceof AAAARecord ar) {
                        return ar.getAddress();
                    }
                }
            } else if (a.status() == DnsResolver.Status.TEMPERROR) {
                why = a.reason();
            }
        }
        if (why != null) {
            throw new IOException("DNS lookup of " + name + " failed: " + why);
        }
        throw new NoHost("no address for " + name);
    }

    /** HTTP/1.1 GET over TLS to {@code address}, verified for {@code host}; the body of a 200. */
    public byte[] get(InetAddress address, String host, String path) throws IOException {
        return exchange(address, host, ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: mailseal\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), null, in -> response(in));
    }

    /**
     * HTTP/1.1 POST of {@code body} as {@code contentType} over TLS to {@code https://host:port/path} (verified for
     * {@code host}, no redirect followed); the answer's status code.
     */
    public int post(String host, String path, String contentType, byte[] body) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + (port == 443 ? "" : ":" + port) + "\r\nUser-Agent: mailseal\r\n"
                + "Content-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return exchange(address(host), host, head.getBytes(StandardCharsets.US_ASCII), body, in -> {
            String[] parts = line(in).split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
                throw new IOException("not an HTTP answer");
            }
            return Integer.parseInt(parts[1]);
        });
    }

    private interface Answer<T> {
        T read(InputStream in) throws IOException;
    }

    private <T> T exchange(InetAddress address, String host, byte[] head, byte[] body, Answer<T> answer) throws IOException {
        int ms = (int) timeout.toMillis();
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(address, port), ms);
            raw.setSoTimeout(ms);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, host, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 host name check
                p.setServerNames(List.of(new SNIHostName(host)));
                s.setSSLParameters(p);
                s.startHandshake();
                OutputStream o = s.getOutputStream();
                o.write(head);
                if (body != null) {
                    o.write(body);
                }
                o.flush();
                return answer.read(new BufferedInputStream(s.getInputStream()));
            }
        }
    }

    private static byte[] response(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer");
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP answer");
        }
        long length = -1;
        boolean chunked = false;
        for (String h; !(h = line(in)).isEmpty(); ) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                try {
                    length = Long.parseLong(h.substring(15).strip());
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length");
                }
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (code == 404) {
            throw new NotFound();
        }
        if (code != 200) {
            throw new IOException("HTTP " + code + (code / 100 == 3 ? " (redirects are not followed)" : ""));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long n; (n = chunkSize(line(in))) > 0; ) {
                copy(in, body, n);
                line(in);
            }
        } else if (length >= 0) {
            copy(in, body, length);
        } else {
            byte[] b = in.readNBytes(MAX_BYTES + 1);
            if (b.length > MAX_BYTES) {
                throw new IOException("answer over 1 MiB");
            }
            body.writeBytes(b);
        }
        return body.toByteArray();
    }

    private static long chunkSize(String line) throws IOException {
        try {
            return Long.parseLong(line.split(";")[0].strip(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("bad chunk size");
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out, long n) throws IOException {
        if (n < 0 || out.size() + n > MAX_BYTES) {
            throw new IOException("answer over 1 MiB");
        }
        byte[] b = in.readNBytes((int) n);
        if (b.length < n) {
            throw new IOException("answer cut short");
        }
        out.writeBytes(b);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (b.length() > 8192) {
                throw new IOException("header line too long");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** A TLS context that trusts the JDK's CAs and those in {@code extraAnchors} (PEM), if given. */
    public static SSLContext trusting(Path extraAnchors) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        TrustManagerFactory def = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        def.init((KeyStore) null);
        int i = 0;
        for (javax.net.ssl.TrustManager tm : def.getTrustManagers()) {
            if (tm instanceof javax.net.ssl.X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    ks.setCertificateEntry("jdk" + i++, c);
                }
            }
        }
        if (extraAnchors != null) {
            try (InputStream in = Files.newInputStream(extraAnchors)) {
                for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("extra" + i++, c);
                }
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
