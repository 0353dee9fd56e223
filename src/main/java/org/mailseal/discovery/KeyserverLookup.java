package org.mailseal.discovery;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.mailseal.https.HttpsGet;
import org.mailseal.policy.KeyDiscovery;
import org.mailseal.wkd.WkdDirectory;

/**
 * A key server, asked by address: a Verifying Key Server ({@code vks:}, {@code GET /vks/v1/by-email/<address>},
 * as keys.openpgp.org, which publishes an address only after its owner confirmed it) or an HKP server
 * ({@code hkp:}, {@code GET /pks/lookup?op=get&options=mr&search=<address>}, which checks nothing: anyone
 * can upload a key with anyone's address, so use it only for a server you run). HTTPS only, verified like
 * WKD. The key is validated like an imported one and reduced to the user ID that is the address.
 */
public final class KeyserverLookup implements KeyDiscovery {

    public enum Protocol { VKS, HKP }

    private final Protocol protocol;
    private final String host;
    private final String base;
    private final HttpsGet http;

    /** {@code spec}: {@code vks:https://host[:port][/path]} or {@code hkp:https://...}. */
    public static KeyserverLookup parse(String spec, HttpsGetFactory http) {
        int colon = spec.indexOf(':');
        Protocol p;
        try {
            p = Protocol.valueOf(spec.substring(0, Math.max(colon, 0)).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("discovery.keyservers: '" + spec + "' must start with vks: or hkp:");
        }
        URI u = URI.create(spec.substring(colon + 1));
        if (!"https".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("discovery.keyservers: '" + spec + "' needs an https:// URL");
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/$", "");
        return new KeyserverLookup(p, u.getHost(), path, http.forPort(u.getPort() < 0 ? 443 : u.getPort()));
    }

    /** Makes the HTTPS client for a port. */
    public interface HttpsGetFactory {
        HttpsGet forPort(int port);
    }

    KeyserverLookup(Protocol protocol, String host, String base, HttpsGet http) {
        this.protocol = protocol;
        this.host = host;
        this.base = base;
        this.http = http;
    }

    @Override
    public Result lookup(String email) {
        String e = email.toLowerCase(Locale.ROOT);
        String q = URLEncoder.encode(e, StandardCharsets.UTF_8);
        String path = base + (protocol == Protocol.VKS ? "/vks/v1/by-email/" + q : "/pks/lookup?op=get&options=mr&search=" + q);
        String source = protocol.name() + " https://" + host + path;
        byte[] body;
        try {
            body = http.get(host, path);
        } catch (HttpsGet.NotFound n) {
            return new Result(Status.NONE, null, source, "not on the key server");
        } catch (IOException | RuntimeException x) {
            return new Result(Status.TEMPFAIL, null, source, x.getMessage() != null ? x.getMessage() : x.toString());
        }
        try {
            var key = WkdDirectory.firstUsable(body, e);
            if (key.isPresent()) {
                return new Result(Status.FOUND, key.get(), source, null);
            }
        } catch (IOException | RuntimeException bad) {
            return new Result(Status.NONE, null, source, "unusable answer: " + bad.getMessage());
        }
        return new Result(Status.NONE, null, source, "no usable key for " + e);
    }
}
