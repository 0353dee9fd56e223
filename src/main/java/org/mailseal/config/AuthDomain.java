package org.mailseal.config;

/** One local domain's authentication settings (unset: the global ones). */
public record AuthDomain(DmarcAction dmarc, Boolean learnAutocrypt) {
}
