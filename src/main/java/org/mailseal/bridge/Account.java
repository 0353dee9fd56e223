package org.mailseal.bridge;

import java.io.IOException;
import java.util.Optional;

/**
 * What a session needs besides the protocol: the user's password check, their stored login to the cloud
 * mailbox, the unsealer and the cache of plaintexts, and the sealer for what clients APPEND.
 */
public interface Account {

    /** True when {@code user} logs in with {@code password} (the mailseal password). */
    boolean verify(String user, String password) throws Exception;

    /** The user's login to the cloud mailbox ({@code users imap-login}), if stored. */
    Optional<Login> upstreamLogin(String user) throws Exception;

    /** A stored login: name and password. */
    record Login(String name, char[] password) {
    }

    Unsealer unsealer();

    Cache cache();

    /** The message encrypted to {@code user}'s own key (as a Sent copy is), for storing upstream; empty: no key. */
    Optional<byte[]> seal(String user, byte[] message) throws Exception;

    /**
     * Whether {@code message}, saved by a client in {@code mailbox}, is a message mailseal already stored an
     * encrypted Sent copy of when it was sent (the same sender, Message-ID and Date): then it is not stored twice.
     */
    boolean alreadyStored(String user, String mailbox, byte[] message) throws Exception;

    /** Throws when the provider cannot be reached. */
    Upstream connect(Login login) throws IOException;
}
