package org.mailseal.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.smime.SmimeVerifier;

/**
 * What outbound decryption requires of the sender's intent (SECURITY.md, the provider-as-attacker
 * threat): a signature inside the encryption, by a key the sender registered, that verifies, made
 * within {@code window} of now. Returns the signature's digest, which the replay cache then accepts once.
 */
public final class RelaySignatureRule {

    /** The rule is not met, with the reason for the log (the client hears one uniform reply). */
    public static final class Broken extends Exception {
        public Broken(String reason) {
            super(reason);
        }
    }

    private final Duration window;

    public RelaySignatureRule(Duration window) {
        this.window = window;
    }

    /** An OpenPGP signature found inside (null: none). */
    public byte[] check(PgpDecryptor.Signature s) throws Broken {
        if (s == null) {
            throw new Broken("message is not signed inside the encryption");
        }
        if (s.signer() == null) {
            throw new Broken("message signed by unregistered key " + Long.toHexString(s.keyId()).toUpperCase(Locale.ROOT));
        }
        if (!s.valid()) {
            throw new Broken("message signature does not verify");
        }
        fresh(s.created());
        return s.digest();
    }

    /** An S/MIME signature inside that verified with a registered certificate. */
    public byte[] check(SmimeVerifier.Result r) throws Broken {
        if (r.signingTime() == null) {
            throw new Broken("S/MIME message signature has no signing time");
        }
        fresh(r.signingTime());
        return r.digest();
    }

    private void fresh(Instant created) throws Broken {
        Duration skew = Duration.between(created, Instant.now()).abs();
        if (skew.compareTo(window) > 0) {
            throw new Broken("signature made " + created + ", outside the window of " + window);
        }
    }
}
