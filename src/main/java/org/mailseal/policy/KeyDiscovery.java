package org.mailseal.policy;

import java.security.cert.X509Certificate;
import org.mailseal.crypto.pgp.PgpKeys;

/** Finding an outbound recipient's key outside the store (WKD, OPENPGPKEY, SMIMEA). */
public interface KeyDiscovery {

    enum Status { FOUND, NONE, TEMPFAIL }

    /**
     * When FOUND, {@code cert} (OpenPGP) or {@code smime} (an S/MIME certificate); {@code source} says where
     * from (for the log and {@code X-Mailseal-Info}), {@code reason} why not.
     */
    record Result(Status status, PgpKeys.ValidCert cert, X509Certificate smime, String source, String reason) {
        public Result(Status status, PgpKeys.ValidCert cert, String source, String reason) {
            this(status, cert, null, source, reason);
        }
    }

    Result lookup(String email);

    /** What the pin of the {@code pinned} policy says of a key found for an address. */
    enum Pin { PINNED_NOW, MATCHES, CHANGED }

    /** What {@link #pin} would say, changing nothing. */
    default Pin pinned(String email, String fingerprint) throws java.io.IOException {
        throw new java.io.IOException("no pin store");
    }

    /** Checks (and on first sight sets) the pin for {@code email}; CHANGED leaves the old pin in force. */
    default Pin pin(String email, String fingerprint, String source) throws java.io.IOException {
        throw new java.io.IOException("no pin store");
    }

    KeyDiscovery NONE = email -> new Result(Status.NONE, null, null, "discovery off");
}
