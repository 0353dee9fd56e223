package org.mailseal.config;

import java.nio.file.Path;

/**
 * The Web Key Directory (draft-koch-openpgp-webkey-service) for the local domains, on its own HTTPS
 * listener: {@code listen} (default 127.0.0.1:8443; put it behind port 443 of {@code openpgpkey.<domain>}
 * and of {@code <domain>}), {@code certificate}/{@code privateKey} (PEM; default: the gateway's
 * {@code tls} certificate). Off by default; {@code mailseal wkd export DIR} writes the same tree for an
 * existing web server instead.
 */
public record Wkd(Boolean enabled, HostPort listen, Path certificate, Path privateKey) {
    public Wkd {
        enabled = enabled != null && enabled;
        listen = listen != null ? listen : HostPort.parse("127.0.0.1:8443");
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("wkd.certificate and wkd.privateKey go together");
        }
    }
}
