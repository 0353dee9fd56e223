package org.mailseal.mail;

/**
 * A MAIL command and the ESMTP parameters we take in and pass on: SIZE (RFC 1870), BODY (RFC 6152),
 * SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461 §4.3-4.4). ENVID is kept in its xtext form.
 */
public record MailFrom(Address sender, Long size, Body body, boolean smtputf8, Ret ret, String envid) {

    public enum Body { SEVEN_BIT, EIGHT_BIT_MIME }

    public enum Ret { FULL, HDRS }

    public static MailFrom of(Address sender) {
        return new MailFrom(sender, null, null, false, null, null);
    }
}
