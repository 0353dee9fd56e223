package org.mailseal.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.mailseal.config.Pkcs11;
import org.mailseal.crypto.KeyStoreException;

/**
 * A PKCS#11 token (an HSM, or SoftHSM2) through the JDK's SunPKCS11 provider. Keys are generated inside
 * the token and never leave it: decryption and signing happen there. Each key is stored under an alias
 * with a certificate (PKCS#11 key stores pair every private key with one); the gateway remembers which
 * stored certificate or OpenPGP key belongs to which alias.
 */
public final class Pkcs11Token {

    private final Provider provider;
    private KeyStore keyStore;
    private final char[] pin;

    private Pkcs11Token(Provider provider, KeyStore keyStore, char[] pin) {
        this.provider = provider;
        this.keyStore = keyStore;
        this.pin = pin;
    }

    private static final java.util.Map<String, Pkcs11Token> OPEN = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Opens and logs in to the configured token (once per library and slot in this process: the JCA
     * keeps one provider per token); a clear error names the failing setting.
     */
    public static synchronized Pkcs11Token open(Pkcs11 c) throws KeyStoreException {
        String id = c.library() + "|" + c.slot() + "|" + c.slotListIndex();
        Pkcs11Token t = OPEN.get(id);
        if (t == null) {
            t = openNew(c);
            OPEN.put(id, t);
        }
        return t;
    }

    private static Pkcs11Token openNew(Pkcs11 c) throws KeyStoreException {
        String conf = "--name=mailseal" + OPEN.size() + "\nlibrary=" + c.library() + "\n"
                + (c.slot() != null ? "slot=" + c.slot() + "\n" : "slotListIndex=" + c.slotListIndex() + "\n")
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
        Provider p;
        try {
            p = Security.getProvider("SunPKCS11").configure(conf);
        } catch (RuntimeException e) {
            throw new KeyStoreException("keys.pkcs11: cannot load " + c.library() + " (slot " + (c.slot() != null ? c.slot() : "#" + c.slotListIndex())
                    + "): " + rootMessage(e));
        }
        char[] pin;
        try {
            pin = Files.readString(c.pinFile()).lines().findFirst().orElse("").toCharArray();
        } catch (IOException e) {
            throw new KeyStoreException("keys.pkcs11.pinFile: cannot read " + c.pinFile() + ": " + e.getMessage());
        }
        try {
            if (Security.getProvider(p.getName()) == null) {
                Security.addProvider(p);
            }
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, pin);
            org.mailseal.crypto.TokenProviders.register(p);
            return new Pkcs11Token(p, ks, pin);
        } catch (GeneralSecurityException | IOException e) {
            throw new KeyStoreException("keys.pkcs11: cannot log in to the token (wrong pinFile?): " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    public Provider provider() {
        return provider;
    }

    /** A new RSA key pair generated inside the token (a session object until {@link #store}). */
    public KeyPair generateRsa(int bits) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", provider);
        g.initialize(bits);
        return g.generateKeyPair();
    }

    /** Makes {@code key} a token object under a fresh alias, with {@code chain}; returns the alias. */
    public synchronized String store(PrivateKey key, X509Certificate[] chain) throws GeneralSecurityException {
        byte[] id = new byte[8];
        new java.security.SecureRandom().nextBytes(id);
        String alias = "mailseal-" + HexFormat.of().formatHex(id);
        keyStore.setKeyEntry(alias, key, null, chain);
        return alias;
    }

    /**
     * The private key under {@code alias}: a handle, its material stays in the token. A token that was
     * removed and put back (or restarted) invalidates the login and every handle: when the key is not
     * found, the key store logs in again once and looks again, so the gateway recovers without a restart.
     * While the token stays away this throws, and the caller defers (4xx).
     */
    public synchronized PrivateKey privateKey(String alias) throws KeyStoreException {
        try {
            PrivateKey k = lookup(alias);
            if (k != null) {
                return k;
            }
        } catch (GeneralSecurityException | java.security.ProviderException e) {
            // fall through to a new login
        }
        try {
            // A new key store: SunPKCS11 binds each one to the token object it saw at load, and a token
            // that was removed and re-inserted is a new one.
            KeyStore fresh = KeyStore.getInstance("PKCS11", provider);
            fresh.load(null, pin);
            keyStore = fresh;
            PrivateKey k = lookup(alias);
            if (k != null) {
                if (unavailable) {
                    unavailable = false;
                    log.info("PKCS#11 token {} is available again", provider.getName());
                }
                return k;
            }
        } catch (GeneralSecurityException | IOException | java.security.ProviderException e) {
            markUnavailable(rootMessage(e));
            throw new KeyStoreException("the PKCS#11 token is unavailable: " + rootMessage(e));
        }
        markUnavailable("no key " + alias);
        throw new KeyStoreException("no private key '" + alias + "' in the PKCS#11 token");
    }

    private PrivateKey lookup(String alias) throws GeneralSecurityException {
        return keyStore.getKey(alias, pin) instanceof PrivateKey pk ? pk : null;
    }

    private boolean unavailable;

    private void markUnavailable(String why) {
        if (!unavailable) {
            unavailable = true;
            log.warn("PKCS#11 token {} is unavailable ({}); operations that need its keys are deferred", provider.getName(), why);
        }
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("pkcs11");

    /** True if {@code key} lives in a token (use the token's provider for it, never Bouncy Castle's). */
    public static boolean isTokenKey(java.security.Key key) {
        return org.mailseal.crypto.TokenProviders.isTokenKey(key);
    }
}
