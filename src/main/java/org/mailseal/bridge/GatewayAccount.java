package org.mailseal.bridge;

import java.io.IOException;
import java.util.Optional;
import org.mailseal.config.Bridge;

/** The gateway's parts behind a bridge session: its user store, the users' stored logins, keys and cache. */
public final class GatewayAccount implements Account {

    /** Checks a mailseal password. */
    public interface Passwords {
        boolean verify(String user, String password) throws Exception;
    }

    /** The stored login to the cloud mailbox. */
    public interface Logins {
        Optional<Login> of(String user) throws Exception;
    }

    /** Encrypts a message to its owner's key, as a Sent copy is. */
    public interface Sealer {
        Optional<byte[]> seal(String user, byte[] message) throws Exception;
    }

    /** Whether mailseal stored a Sent copy of a message already ({@link Account#alreadyStored}). */
    public interface SentCopies {
        boolean stored(String user, String mailbox, byte[] message) throws Exception;
    }

    private final Bridge config;
    private final SentCopies sentCopies;
    private final Passwords passwords;
    private final Logins logins;
    private final Sealer sealer;
    private final Unsealer unsealer;
    private final Cache cache;
    private final ProviderStores stores;

    /**
     * @param keys    the users' private keys ({@code DecryptionKeys})
     * @param seal    the storage seal: an inner header that carries it was written by mailseal
     * @param dataDir where the encrypted cache ({@code bridge/cache}) and short-lived ciphertext copies live
     */
    public GatewayAccount(Bridge config, Passwords passwords, Logins logins, Sealer sealer, SentCopies sentCopies,
                          org.mailseal.crypto.MessageOpener.Keys keys, org.mailseal.keys.MasterKey master, org.mailseal.keys.StorageSeal seal,
                          java.nio.file.Path dataDir, long maxMessage) throws IOException {
        this.config = config;
        this.sentCopies = sentCopies;
        this.passwords = passwords;
        this.logins = logins;
        this.sealer = sealer;
        this.unsealer = new Unsealer(keys, dataDir.resolve("bridge").resolve("tmp"), maxMessage, seal);
        this.cache = new Cache(dataDir.resolve("bridge").resolve("cache"), master, config.cacheSize());
        this.stores = new ProviderStores(config);
    }

    @Override
    public boolean verify(String user, String password) throws Exception {
        return passwords.verify(user, password);
    }

    @Override
    public Optional<Login> upstreamLogin(String user) throws Exception {
        return logins.of(user);
    }

    @Override
    public Unsealer unsealer() {
        return unsealer;
    }

    @Override
    public Cache cache() {
        return cache;
    }

    @Override
    public Optional<byte[]> seal(String user, byte[] message) throws Exception {
        return sealer.seal(user, message);
    }

    @Override
    public boolean alreadyStored(String user, String mailbox, byte[] message) throws Exception {
        return sentCopies.stored(user, mailbox, message);
    }

    @Override
    public Upstream connect(Login login) throws IOException {
        return stores.lease(login.name(), login.password());
    }
}
