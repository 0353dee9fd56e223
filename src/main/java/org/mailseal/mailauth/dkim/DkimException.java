package org.mailseal.mailauth.dkim;

/** A DKIM signature or key record that cannot be used (a permanent error, RFC 6376 §6.1). */
public class DkimException extends Exception {
    public DkimException(String message) {
        super(message);
    }
}
