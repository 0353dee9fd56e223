package org.mailseal.crypto;

import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The crypto providers, registered once at start-up (the gateway and every CLI command call
 * {@link #register()}), and an instance to pass where a provider is needed, so no operation depends on
 * which other operation happened to register it first (a PKCS#11 OpenPGP-only gateway used to answer
 * 5xx after every restart because "BC" was registered only by the first S/MIME operation).
 */
public final class Providers {

    public static final Provider BC = new BouncyCastleProvider();

    private Providers() {
    }

    public static synchronized void register() {
        if (Security.getProvider(BC.getName()) == null) {
            Security.addProvider(BC);
        }
    }
}
