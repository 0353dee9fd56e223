package org.mailseal.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * S/MIME certificate checking: trust anchors (PEM files) besides the built-in CA, CRL files, and
 * whether CRLs are fetched from a certificate's distribution point (cached until their next update).
 */
public record Smime(List<Path> trustAnchors, List<Path> crlFiles, Boolean crlFetch, Duration crlFetchTimeout) {
    public Smime {
        trustAnchors = trustAnchors != null ? List.copyOf(trustAnchors) : List.of();
        crlFiles = crlFiles != null ? List.copyOf(crlFiles) : List.of();
        crlFetch = crlFetch != null && crlFetch;
        crlFetchTimeout = crlFetchTimeout != null ? crlFetchTimeout : Duration.ofSeconds(10);
    }
}
