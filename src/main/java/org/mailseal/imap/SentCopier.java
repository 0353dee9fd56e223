package org.mailseal.imap;

import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mailseal.config.SentCopy;
import org.mailseal.keys.MasterKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works through the {@link SentCopyQueue}: APPENDs each copy to the sender's Sent folder (RFC 9051
 * §6.3.12) with the sender's stored login, and removes it only once the server said OK. Runs on its own
 * thread, right after each enqueue and every {@code retryInterval}; an unreachable server delays the
 * copies, never the mail.
 */
public final class SentCopier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("sentcopy");

    private final SentCopy config;
    private final SentCopyQueue queue;
    private final ImapLogins logins;
    private final MasterKey masterKey;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sent-copy");
        t.setDaemon(true);
        return t;
    });

    public SentCopier(SentCopy config, SentCopyQueue queue, ImapLogins logins, MasterKey masterKey) {
        this.config = config;
        this.queue = queue;
        this.logins = logins;
        this.masterKey = masterKey;
    }

    public SentCopier start() {
        long every = config.retryInterval().toMillis();
        worker.scheduleWithFixedDelay(this::drain, 0, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Asks for a run soon (after an enqueue). */
    public void wake() {
        try {
            worker.execute(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // closing: the entry stays queued for the next start
        }
    }

    private volatile boolean closed;

    private void drain() {
        try {
            for (SentCopyQueue.Entry e : queue.entries()) {
                if (closed) {
                    return;
                }
                try {
                    append(e);
                    queue.done(e);
                    log.info("{}: Sent copy for <{}> appended to {} on {}", e.queueId(), e.email(), config.folder(), config.imapUrl().getHost());
                } catch (Exception ex) {
                    log.warn("{}: Sent copy for <{}> deferred (will retry in {}): {}", e.queueId(), e.email(), config.retryInterval(),
                            ex.getMessage());
                    if (ex instanceof MessagingException) {
                        return; // the server is down or refusing: try the rest later
                    }
                }
            }
        } catch (Exception e) {
            log.error("Sent copy queue: {}", e.getMessage());
        }
    }

    private void append(SentCopyQueue.Entry e) throws Exception {
        Optional<ImapLogins.Login> login = logins.get(e.email(), masterKey);
        if (login.isEmpty()) {
            throw new IllegalStateException("no IMAP login stored for <" + e.email() + "> (mailseal users imap-login)");
        }
        Session session = Provider.session(config.imapUrl(), config.requireTls());
        try (Store store = Provider.connect(session, config.imapUrl(), login.get().login(), login.get().password())) {
            java.util.Arrays.fill(login.get().password(), '\0');
            Folder folder = store.getFolder(config.folder());
            if (!folder.exists()) {
                folder.create(Folder.HOLDS_MESSAGES);
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(e.message()), 65536)) {
                MimeMessage m = new MimeMessage(session, in);
                m.setFlag(Flags.Flag.SEEN, true);
                folder.appendMessages(new Message[] {m});
            }
        }
    }

    /** Stops after the APPEND in progress, if any (so no copy is appended after the gateway stopped). */
    @Override
    public void close() {
        closed = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(45, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
