package org.mailseal.wkd;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.config.Discovery;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.dns.DnsResolver;
import org.mailseal.policy.KeyDiscovery;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Finds a recipient's OpenPGP key in its domain's Web Key Directory (draft-koch-openpgp-webkey-service
 * §3.1): the advanced method at {@code openpgpkey.<domain>}, and the direct method only when that host
 * does not exist (NXDOMAIN or no address), never after a timeout. Names are resolved by the gateway's
 * resolver; TLS is verified (PKIX and the host name, SNI) against the JDK's CAs plus
 * {@code discovery.trustAnchors}; redirects are not followed; answers over 1 MiB are refused.
 *
 * <p>A key found is validated like an imported one and reduced to the user ID that is the address. It is
 * remembered for {@code cacheFor}; when a later lookup fails, the remembered key is used up to
 * {@code staleFor}, so a server that times out never turns an encrypted route into a plain one.
 */
public final class WkdClient implements KeyDiscovery {

    private static final int MAX_BYTES = 1 << 20;

    private record Cached(Result result, Instant at) {
    }

    private final DnsResolver dns;
    private final Discovery config;
    private final SSLContext tls;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public WkdClient(DnsResolver dns, Discovery config) throws IOException, java.security.GeneralSecurityException {
        this.dns = dns;
        this.config = config;
        this.tls = context(config);
    }

    @Override
    public Result lookup(String email) {
        String e = email.toLowerCase(Locale.ROOT);
        Cached c = cache.get(e);
        Instant now = Instant.now();
        if (c != null && Duration.between(c.at(), now).compareTo(config.cacheFor()) < 0) {
            return c.result();
        }
        Result fresh = fetch(e);
        if (fresh.status() == Status.TEMPFAIL) {
            if (c != null && c.result().status() == Status.FOUND && Duration.between(c.at(), now).compareTo(config.staleFor()) < 0) {
                return new Result(Status.FOUND, c.result().cert(), c.result().source() + ", cached (lookup failed: " + fresh.reason() + ")", null);
            }
            return fresh;
        }
        if (cache.size() > 10_000) {
            cache.clear();
        }
        cache.put(e, new Cached(fresh, now));
        return fresh;
    }

    private Result fetch(String email) {
        int at = email.lastIndexOf('@');
        String local = email.substring(0, at);
        String domain = email.substring(at + 1);
        String hash = WkdHash.of(local);
        String advancedHost = "openpgpkey." + domain;
        InetAddress host;
        try {
            host = address(advancedHost);
        } catch (Temporary t) {
            return new Result(Status.TEMPFAIL, null, null, "WKD host " + advancedHost + ": " + t.getMessage());
        }
        String url;
        String name;
        String path;
        if (host != null) {
            name = advancedHost;
            path = "/.well-known/openpgpkey/" + domain + "/hu/" + hash + "?l=" + urlEncode(local);
        } else {
            try {
                host = address(domain);
            } catch (Temporary t) {
                return new Result(Status.TEMPFAIL, null, null, "WKD host " + domain + ": " + t.getMessage());
            }
            if (host == null) {
                return new Result(Status.NONE, null, null, "no WKD host for " + domain);
            }
            name = domain;
            path = "/.well-known/openpgpkey/hu/" + hash + "?l=" + urlEncode(local);
        }
        url = "https://" + name + path;
        byte[] body;
        try {
            body = get(host, name, path);
        } catch (NotFound n) {
            return new Result(Status.NONE, null, url, "not in the directory");
        } catch (IOException | RuntimeException x) {
            return new Result(Status.TEMPFAIL, null, url, x.getMessage() != null ? x.getMessage() : x.toString());
        }
        try {
            for (Object o : PgpKeys.readKeyrings(new ByteArrayInputStream(body))) {
                if (o instanceof PGPPublicKeyRing ring) {
                    try {
                        PGPPublicKeyRing mine = WkdDirectory.onlyUserId(ring, email);
                        return new Result(Status.FOUND, PgpKeys.validate(mine, email, Instant.now()), "WKD " + url, null);
                    } catch (org.mailseal.crypto.KeyStoreException unusable) {
                        // next key
                    }
                }
            }
        } catch (IOException | RuntimeException bad) {
            return new Result(Status.NONE, null, url, "unusable answer: " + bad.getMessage());
        }
        return new Result(Status.NONE, null, url, "no usable key for " + email);
    }

    private static final class Temporary extends Exception {
        Temporary(String m) {
            super(m);
        }
    }

    private static final class NotFound extends IOException {
        NotFound() {
            super("404");
        }
    }

    /** The host's first address, null when the name or an address does not exist. */
    private InetAddress address(String name) throws Temporary {
        boolean temporary = false;
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
                temporary = true;
                why = a.reason();
            }
        }
        if (temporary) {
            throw new Temporary(why);
        }
        return null;
    }

    /** HTTP/1.1 GET over TLS to {@code address}, verified for {@code host}; the body of a 200. */
    private byte[] get(InetAddress address, String host, String path) throws IOException {
        int timeout = (int) config.timeout().toMillis();
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(address, config.wkdPort()), timeout);
            raw.setSoTimeout(timeout);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, host, config.wkdPort(), true)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 host name check
                p.setServerNames(List.of(new SNIHostName(host)));
                s.setSSLParameters(p);
                s.startHandshake();
                OutputStream o = s.getOutputStream();
                o.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: mailseal\r\nAccept: application/octet-stream\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                o.flush();
                return response(new BufferedInputStream(s.getInputStream()));
            }
        }
    }

    private static byte[] response(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer");
        }
        int code = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        for (String h; !(h = line(in)).isEmpty(); ) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(h.substring(15).strip());
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
            for (long n; (n = Long.parseLong(line(in).split(";")[0].strip(), 16)) > 0; ) {
                copy(in, body, n);
                line(in);
            }
        } else if (length >= 0) {
            copy(in, body, length);
        } else {
            copy(in, body, MAX_BYTES + 1L);
        }
        return body.toByteArray();
    }

    private static void copy(InputStream in, ByteArrayOutputStream out, long n) throws IOException {
        if (out.size() + n > MAX_BYTES) {
            if (n == MAX_BYTES + 1L) { // until EOF, bounded
                byte[] b = in.readNBytes(MAX_BYTES + 1);
                if (b.length > MAX_BYTES) {
                    throw new IOException("answer over 1 MiB");
                }
                out.writeBytes(b);
                return;
            }
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

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static SSLContext context(Discovery config) throws IOException, java.security.GeneralSecurityException {
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
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
        if (config.trustAnchors() != null) {
            try (InputStream in = java.nio.file.Files.newInputStream(config.trustAnchors())) {
                for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("extra" + i++, c);
                }
            }
        }
        jdk.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, jdk.getTrustManagers(), null);
        return ctx;
    }
}
