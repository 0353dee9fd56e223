package org.mailseal.imap;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.net.URI;
import java.util.Properties;

/**
 * A connection to the cloud mailbox's IMAP server: {@code imaps://} (TLS from the start) or {@code imap://}
 * with STARTTLS, required unless {@code requireTls} is false (loopback tests only); connect and read
 * time-outs, so a provider that hangs is a failure, not a stuck thread. For Sent copies and the bridge.
 */
public final class Provider {

    private Provider() {
    }

    /** A session for {@code url}'s protocol. */
    public static Session session(URI url, boolean requireTls) {
        boolean ssl = url.getScheme().equals("imaps");
        String proto = ssl ? "imaps" : "imap";
        Properties p = new Properties();
        p.put("mail." + proto + ".connectiontimeout", "10000");
        p.put("mail." + proto + ".timeout", "60000");
        p.put("mail." + proto + ".writetimeout", "60000");
        p.put("mail." + proto + ".peek", "true");
        if (!ssl) {
            p.put("mail.imap.starttls.enable", "true");
            p.put("mail.imap.starttls.required", String.valueOf(requireTls));
        }
        return Session.getInstance(p);
    }

    /** A store of {@code session}, logged in at {@code url} as {@code login}. */
    public static Store connect(Session session, URI url, String login, char[] password) throws MessagingException {
        boolean ssl = url.getScheme().equals("imaps");
        int port = url.getPort() > 0 ? url.getPort() : ssl ? 993 : 143;
        Store store = session.getStore(ssl ? "imaps" : "imap");
        store.connect(url.getHost(), port, login, new String(password));
        return store;
    }
}
