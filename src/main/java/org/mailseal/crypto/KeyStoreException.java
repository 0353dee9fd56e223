package org.mailseal.crypto;

/** A key store or key validation problem, with a message fit for an admin. */
public class KeyStoreException extends Exception {
    public KeyStoreException(String message) {
        super(message);
    }
}
