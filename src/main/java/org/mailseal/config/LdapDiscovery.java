package org.mailseal.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An LDAP directory to ask for recipients' S/MIME certificates (a partner's or the company's own):
 * {@code url} ({@code ldaps://host:636} or {@code ldap://}), {@code base} (search base), {@code filter}
 * (default {@code (mail={0})}, {@code {0}} being the address, escaped), {@code bindDn} and
 * {@code passwordFile} for a simple bind (default: anonymous). The certificates found
 * ({@code userSMIMECertificate}, {@code userCertificate;binary}) must chain to {@code smime.trustAnchors},
 * like imported ones.
 */
public record LdapDiscovery(String url, String base, String filter, String bindDn, Path passwordFile) {
    public LdapDiscovery {
        if (url == null || !(url.startsWith("ldap://") || url.startsWith("ldaps://"))) {
            throw new IllegalArgumentException("discovery.ldap.url: ldap:// or ldaps:// URL required");
        }
        if (base == null) {
            throw new IllegalArgumentException("discovery.ldap.base: required");
        }
        filter = filter != null ? filter : "(mail={0})";
        if (!filter.contains("{0}")) {
            throw new IllegalArgumentException("discovery.ldap.filter: must contain {0} (the address)");
        }
        if ((bindDn == null) != (passwordFile == null)) {
            throw new IllegalArgumentException("discovery.ldap.bindDn and passwordFile go together");
        }
        if (passwordFile != null && !Files.isReadable(passwordFile)) {
            throw new IllegalArgumentException("discovery.ldap.passwordFile: cannot read " + passwordFile);
        }
    }
}
