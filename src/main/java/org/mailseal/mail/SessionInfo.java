package org.mailseal.mail;

import java.net.InetAddress;

/**
 * What we know about the client of one SMTP/LMTP session at the moment a transaction starts.
 *
 * @param clientAddress the connecting peer
 * @param clientName    its name, or {@code unknown}
 * @param helo          the HELO/EHLO/LHLO argument
 * @param esmtp         EHLO (or LHLO) was used
 * @param lmtp          the session speaks LMTP (RFC 2033)
 * @param tls           STARTTLS is in effect, e.g. {@code TLSv1.3 TLS_AES_256_GCM_SHA384}, or null
 * @param authUser      the SASL user name, or null
 * @param xforward      XFORWARD attributes from a trusted upstream MTA
 */
public record SessionInfo(InetAddress clientAddress, String clientName, String helo, boolean esmtp, boolean lmtp,
                          String tls, String authUser, XForward xforward) {

    /**
     * The original client's address: XFORWARD ADDR from a trusted upstream MTA (Postfix hands its
     * content filter the real client that way), else the connecting peer. What scanners must judge.
     */
    public String originalClientAddress() {
        if (xforward == null || xforward.addr() == null) {
            return clientAddress.getHostAddress();
        }
        String a = xforward.addr();
        return a.regionMatches(true, 0, "IPV6:", 0, 5) ? a.substring(5) : a; // Postfix marks IPv6 so (XFORWARD_README)
    }

    /** The original client's HELO: XFORWARD HELO when present, else this session's. */
    public String originalHelo() {
        return xforward != null && xforward.helo() != null ? xforward.helo() : helo;
    }

    /** {@code name[addr]}, as Postfix logs a client. */
    public String client() {
        return clientName + "[" + clientAddress.getHostAddress() + "]";
    }

    /**
     * The "with" protocol keyword for the Received header: RFC 3848 (ESMTPS, ESMTPA, ESMTPSA, LMTPS...) and
     * RFC 6531 §3.7.3 (UTF8SMTP...).
     */
    public String protocol(boolean smtputf8) {
        String base = lmtp ? "LMTP" : esmtp ? "ESMTP" : "SMTP";
        if (smtputf8) {
            base = lmtp ? "UTF8LMTP" : "UTF8SMTP";
        }
        if (!esmtp && !lmtp) {
            return base;
        }
        return base + (tls != null ? "S" : "") + (authUser != null ? "A" : "");
    }
}
