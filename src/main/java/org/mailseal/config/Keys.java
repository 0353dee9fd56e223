package org.mailseal.config;

import java.nio.file.Path;

/**
 * Private-key protection. The master passphrase comes from {@code masterPassphraseFile} or the
 * environment variable {@code MAILSEAL_MASTER_PASSPHRASE}, never from this file. Without one, the
 * gateway can encrypt to stored certificates but holds no private keys (and cannot generate keys).
 */
public record Keys(Path masterPassphraseFile, Integer argon2MemoryKiB, Integer argon2Iterations, String generateAlgorithm, Pkcs11 pkcs11) {
    public Keys {
        argon2MemoryKiB = argon2MemoryKiB != null ? argon2MemoryKiB : 65536;
        argon2Iterations = argon2Iterations != null ? argon2Iterations : 3;
        generateAlgorithm = generateAlgorithm != null ? generateAlgorithm : "cv25519";
        org.mailseal.crypto.pgp.PgpKeys.Algo.parse(generateAlgorithm);
        if (argon2MemoryKiB < 1024 || argon2Iterations < 1) {
            throw new IllegalArgumentException("argon2MemoryKiB must be >= 1024 and argon2Iterations >= 1");
        }
    }
}
