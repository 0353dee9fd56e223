package org.mailseal.wkd;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.mailseal.config.Discovery;
import org.mailseal.dns.DnsResolver;
import org.mailseal.https.HttpsGet;
import org.mailseal.policy.KeyDiscovery;

/**
 * Finds a recipient's OpenPGP key in its domain's Web Key Directory (draft-koch-openpgp-webkey-service
 * §3.1): the advanced method at {@code openpgpkey.<domain>}, and the direct method only when that host
 * does not exist (NXDOMAIN or no address), never after a timeout. Names are resolved by the gateway's
 * resolver; TLS is verified (PKIX and the host name, SNI) against the JDK's CAs plus
 * {@code discovery.trustAnchors}; redirects are not followed; answers over 1 MiB are refused.
 *
 * <p>A key found is validated like an imported one and reduced to the user ID that is the address.
 */
public final class WkdClient implements KeyDiscovery {

    private final HttpsGet http;

    public WkdClient(DnsResolver dns, Discovery config) throws IOException, java.security.GeneralSecurityException {
        this.http = new HttpsGet(dns, HttpsGet.trusting(config.trustAnchors()), config.timeout(), config.wkdPort());
    }

    /** One lookup, not cached (the caller, {@code discovery.KeyFinder}, caches). */
    @Override
    public Result lookup(String email) {
        return fetch(email.toLowerCase(Locale.ROOT));
    }

    private Result fetch(String email) {
        int at = email.lastIndexOf('@');
        String local = email.substring(0, at);
        String domain = email.substring(at + 1);
        String hash = WkdHash.of(local);
        String advancedHost = "openpgpkey." + domain;
        InetAddress host;
        String name;
        String path;
        try {
            host = http.address(advancedHost);
            name = advancedHost;
            path = "/.well-known/openpgpkey/" + domain + "/hu/" + hash + "?l=" + urlEncode(local);
        } catch (HttpsGet.NoHost none) {
            try {
                host = http.address(domain);
            } catch (HttpsGet.NoHost alsoNone) {
                return new Result(Status.NONE, null, null, "no WKD host for " + domain);
            } catch (IOException t) {
                return new Result(Status.TEMPFAIL, null, null, "WKD host " + domain + ": " + t.getMessage());
            }
            name = domain;
            path = "/.well-known/openpgpkey/hu/" + hash + "?l=" + urlEncode(local);
        } catch (IOException t) {
            return new Result(Status.TEMPFAIL, null, null, "WKD host " + advancedHost + ": " + t.getMessage());
        }
        String url = "https://" + name + path;
        byte[] body;
        try {
            body = http.get(host, name, path);
        } catch (HttpsGet.NotFound n) {
            return new Result(Status.NONE, null, url, "not in the directory");
        } catch (IOException | RuntimeException x) {
            return new Result(Status.TEMPFAIL, null, url, x.getMessage() != null ? x.getMessage() : x.toString());
        }
        try {
            var key = WkdDirectory.firstUsable(body, email);
            if (key.isPresent()) {
                return new Result(Status.FOUND, key.get(), "WKD " + url, null);
            }
        } catch (IOException | RuntimeException bad) {
            return new Result(Status.NONE, null, url, "unusable answer: " + bad.getMessage());
        }
        return new Result(Status.NONE, null, url, "no usable key for " + email);
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
