package org.mailseal.config;

import java.nio.file.Path;

/** The server certificate for STARTTLS (PEM files). Without them a self-signed one is generated in the data dir. */
public record Tls(Path certificate, Path privateKey) {
    public Tls {
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("certificate and privateKey must be given together");
        }
    }
}
