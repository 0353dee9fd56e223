package org.mailseal.config;

/** SMTP AUTH (offered only after STARTTLS). Argon2id cost parameters for stored passwords. */
public record Auth(Boolean enabled, Integer argon2MemoryKiB, Integer argon2Iterations) {
    public Auth {
        enabled = enabled == null || enabled;
        // OWASP minimum for Argon2id: m=19 MiB, t=2, p=1.
        argon2MemoryKiB = argon2MemoryKiB != null ? argon2MemoryKiB : 19456;
        argon2Iterations = argon2Iterations != null ? argon2Iterations : 2;
        if (argon2MemoryKiB < 1024 || argon2Iterations < 1) {
            throw new IllegalArgumentException("argon2MemoryKiB must be >= 1024 and argon2Iterations >= 1");
        }
    }
}
