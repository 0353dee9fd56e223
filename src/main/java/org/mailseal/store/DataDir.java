package org.mailseal.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The data directory holds the spool (plaintext mail), the key store and the quarantine: it is
 * created 0700, and the key store's files are kept 0600, so no other local user can read any of it.
 */
public final class DataDir {

    private DataDir() {
    }

    /** Creates {@code dir} (and parents) and makes it 0700. */
    public static Path secure(Path dir) throws IOException {
        Files.createDirectories(dir);
        owner(dir, "rwx------");
        return dir;
    }

    /** Makes every regular file directly in {@code dir} 0600. */
    public static void secureFiles(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) {
                    owner(p, "rw-------");
                }
            }
        }
    }

    private static void owner(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to set
        }
    }
}
