package org.mailseal.bridge;

import jakarta.mail.MessagingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.mailseal.config.Bridge;

/**
 * One logged-in session at the provider per user login, shared by all of that user's client connections:
 * listing, STATUS, APPEND and the like go over it, and each client's selected mailbox gets a connection of
 * its own from it (Angus Mail opens a mailbox on a connection of its own; IDLE needs that anyway). A user
 * with three devices costs the provider four connections, not six, and a client connecting while another
 * is there needs no new login. A store that no longer answers is replaced for the next connection; its
 * other users find out at their next command and come over (see {@code ImapSession.reconnect}).
 */
final class ProviderStores {

    // the password's hash is in the key, so a changed stored login is a new session, never the old one
    private record Key(String login, String password) {
    }

    private static final class Shared {
        final IMAPStore store;
        int users;

        Shared(IMAPStore store) {
            this.store = store;
        }
    }

    private final Bridge config;
    private final Map<Key, Shared> shared = new HashMap<>();
    private final Map<Key, Object> connecting = new ConcurrentHashMap<>();

    ProviderStores(Bridge config) {
        this.config = config;
    }

    /** A session for one client connection; {@link Upstream#close} gives it back. */
    Upstream lease(String login, char[] password) throws Upstream.Unavailable {
        Key k = new Key(login, sha256(password));
        synchronized (connecting.computeIfAbsent(k, x -> new Object())) { // one login at a time per user, other users unhindered
            Shared s;
            synchronized (shared) {
                s = shared.get(k);
                if (s != null) {
                    s.users++;
                }
            }
            if (s != null) {
                if (s.store.isConnected()) { // a NOOP on its connection
                    return upstream(k, s);
                }
                synchronized (shared) {
                    shared.remove(k, s);
                }
                release(k, s);
            }
            Shared fresh = new Shared(Upstream.login(config, login, password));
            fresh.users = 1;
            synchronized (shared) {
                shared.put(k, fresh);
            }
            return upstream(k, fresh);
        }
    }

    private Upstream upstream(Key k, Shared s) throws Upstream.Unavailable {
        try {
            return new Upstream(s.store, () -> release(k, s));
        } catch (MessagingException e) {
            release(k, s);
            throw new Upstream.Unavailable("the mailbox server did not answer: " + e.getMessage(), e);
        }
    }

    private void release(Key k, Shared s) {
        boolean last;
        synchronized (shared) {
            last = --s.users == 0;
            if (last) {
                shared.remove(k, s);
            }
        }
        if (last) {
            try {
                s.store.close();
            } catch (MessagingException ignored) {
                // already gone
            }
        }
    }

    private static String sha256(char[] password) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new String(password).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
