package org.mailseal.policy;

import org.mailseal.crypto.pgp.PgpKeys;

/** Finding an outbound recipient's key outside the store (the Web Key Directory). */
public interface KeyDiscovery {

    enum Status { FOUND, NONE, TEMPFAIL }

    /** {@code cert} when FOUND; {@code source} says where from (for the log), {@code reason} why not. */
    record Result(Status status, PgpKeys.ValidCert cert, String source, String reason) {
    }

    Result lookup(String email);

    KeyDiscovery NONE = email -> new Result(Status.NONE, null, null, "discovery off");
}
