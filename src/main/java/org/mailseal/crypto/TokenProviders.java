package org.mailseal.crypto;

import java.security.Key;
import java.security.Provider;

/**
 * Which provider a key in a PKCS#11 token must be used with. A token key is a handle: the operation
 * runs in the token, through the SunPKCS11 provider that opened it (never Bouncy Castle's). The key
 * store's token registers that provider when it opens the token.
 */
public final class TokenProviders {

    private static volatile Provider current;

    private TokenProviders() {
    }

    /** Called by the token when it is opened. */
    public static void register(Provider p) {
        current = p;
    }

    /** True if {@code key} lives in a token. */
    public static boolean isTokenKey(Key key) {
        return key.getClass().getName().startsWith("sun.security.pkcs11.");
    }

    /** The provider of the open token that {@code key} belongs to. */
    public static Provider providerOf(Key key) {
        Provider p = current;
        if (p == null) {
            throw new IllegalStateException("no PKCS#11 token is open");
        }
        return p;
    }
}
