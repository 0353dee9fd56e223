package org.mailseal.pipeline;

import java.util.List;
import org.mailseal.crypto.pgp.PgpKeys;

/**
 * What the policy stage decided for a group of recipients; the transform stages act on it. A typed
 * attribute of the {@link MailItem}, not a string map.
 */
public sealed interface Treatment {


    /** No decision yet (before the policy stage), or nothing to do. */
    record None() implements Treatment {
    }

    /** Deliver as it is; {@code reason} says why, for the log. */
    record Pass(String reason) implements Treatment {
    }

    /** The message is already encrypted (end to end): it passes untouched, neither signed nor encrypted again. */
    record AlreadyEncrypted(String kind) implements Treatment {
    }

    /** Encrypt one copy with OpenPGP to every key listed; {@code info} explains each recipient. */
    record EncryptPgp(List<Keyed> keys, org.mailseal.mime.OuterHeader outer) implements Treatment {
        public EncryptPgp {
            keys = List.copyOf(keys);
        }
    }

    /** One recipient, the certificate chosen for it and why. */
    record Keyed(Recipient recipient, PgpKeys.ValidCert cert, String why) {
    }

    /** Encrypt one copy with S/MIME to every certificate listed; AES-256-GCM AuthEnvelopedData if {@code gcm}. */
    record EncryptSmime(List<Certified> certs, org.mailseal.mime.OuterHeader outer, boolean gcm) implements Treatment {
        public EncryptSmime {
            certs = List.copyOf(certs);
        }
    }

    /** One recipient, the S/MIME certificate chosen for it and why. */
    record Certified(Recipient recipient, org.mailseal.keys.CertDirectory.ValidCert cert, String why) {
    }

    None NONE = new None();
}
