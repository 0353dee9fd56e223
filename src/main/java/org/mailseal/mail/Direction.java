package org.mailseal.mail;

/** Which way a recipient's mail goes through the gateway. */
public enum Direction {
    /** From the internet to a local domain: scan, then encrypt before the cloud mailbox. */
    INBOUND,
    /** From a local user (authenticated or trusted network) to elsewhere: decrypt, sign, relay. */
    OUTBOUND
}
