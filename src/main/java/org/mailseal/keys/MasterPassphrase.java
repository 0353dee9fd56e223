package org.mailseal.keys;

import java.io.IOException;
import java.nio.file.Files;
import org.mailseal.config.ConfigException;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.KeyStoreException;

/** Where the master passphrase comes from: {@code keys.masterPassphraseFile}, else {@code MAILSEAL_MASTER_PASSPHRASE}. */
public final class MasterPassphrase {

    public static final String ENV = "MAILSEAL_MASTER_PASSPHRASE";

    private MasterPassphrase() {
    }

    /** The passphrase, or null when none is configured (an encrypt-only install). */
    public static char[] load(MailsealConfig config) {
        if (config.keys().masterPassphraseFile() != null) {
            try {
                refuseShared(config.keys().masterPassphraseFile());
                String s = Files.readString(config.keys().masterPassphraseFile()).lines().findFirst().orElse("");
                if (s.isEmpty()) {
                    throw new ConfigException("keys.masterPassphraseFile: " + config.keys().masterPassphraseFile() + " is empty");
                }
                return s.toCharArray();
            } catch (IOException e) {
                throw new ConfigException("keys.masterPassphraseFile: cannot read " + config.keys().masterPassphraseFile() + ": " + e.getMessage());
            }
        }
        String env = System.getenv(ENV);
        return env == null || env.isEmpty() ? null : env.toCharArray();
    }

    // Like ssh with a private key file: a passphrase others can read is no secret; say how to fix it.
    private static void refuseShared(java.nio.file.Path f) throws IOException {
        if (!f.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        java.util.Set<java.nio.file.attribute.PosixFilePermission> p = Files.getPosixFilePermissions(f);
        p.retainAll(java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission.GROUP_READ,
                java.nio.file.attribute.PosixFilePermission.GROUP_WRITE, java.nio.file.attribute.PosixFilePermission.OTHERS_READ,
                java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE));
        if (!p.isEmpty()) {
            throw new ConfigException("keys.masterPassphraseFile: " + f + " is accessible by group or others ("
                    + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)) + "); run: chmod 600 " + f);
        }
    }

    /** Unlocks the store's master key, or returns null when no passphrase is configured. */
    public static MasterKey unlock(MailsealConfig config, javax.sql.DataSource ds) throws java.sql.SQLException, KeyStoreException {
        char[] p = load(config);
        if (p == null) {
            return null;
        }
        try {
            return MasterKey.unlock(ds, p, config.keys().argon2MemoryKiB(), config.keys().argon2Iterations());
        } finally {
            java.util.Arrays.fill(p, '\0');
        }
    }
}
