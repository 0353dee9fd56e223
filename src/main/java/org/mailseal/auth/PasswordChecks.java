package org.mailseal.auth;

import java.sql.SQLException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Password checks with a cap on how many Argon2id hashes run at once. Each costs its memory parameter
 * (19 MiB by default), so an unbounded number of concurrent AUTH attempts would exhaust the heap; the
 * cap is sized so that all of them together use at most a quarter of it. A check that cannot get a
 * slot within {@code wait} is answered as a temporary failure, never as a wrong password.
 */
public final class PasswordChecks {

    private static final Logger log = LoggerFactory.getLogger("auth");

    /** The outcome of one check. */
    public enum Result { OK, FAILED, UNAVAILABLE }

    private final UserStore users;
    private final Semaphore slots;
    private final long waitMillis;

    public PasswordChecks(UserStore users, int memoryKiB, long waitMillis) {
        this.users = users;
        this.slots = new Semaphore(slotsFor(Runtime.getRuntime().maxMemory(), memoryKiB));
        this.waitMillis = waitMillis;
    }

    /** How many hashes of {@code memoryKiB} fit in a quarter of {@code heap}; at least 1, at most 2 per core. */
    static int slotsFor(long heap, int memoryKiB) {
        long fit = (heap / 4) / (Math.max(1, memoryKiB) * 1024L);
        return (int) Math.max(1, Math.min(fit, 2L * Runtime.getRuntime().availableProcessors()));
    }

    public int slots() {
        return slots.availablePermits();
    }

    public Result check(String user, String password) {
        boolean got;
        try {
            got = slots.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.UNAVAILABLE;
        }
        if (!got) {
            return Result.UNAVAILABLE;
        }
        try {
            return users.verify(user, password) ? Result.OK : Result.FAILED;
        } catch (SQLException | RuntimeException e) {
            log.error("user store error while checking {}: {}", user, e.getMessage());
            return Result.UNAVAILABLE;
        } finally {
            slots.release();
        }
    }
}
