package org.mailseal.policy;

import java.util.List;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.CertDirectory;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.Treatment;
import org.mailseal.mime.OuterHeader;

/** The encrypting treatments: which keys or certificates a group of recipients gets, and why. */
public sealed interface Encryption extends Treatment {

    /** Encrypt one copy with OpenPGP to every key listed; {@code why} explains each recipient. */
    record Pgp(List<Keyed> keys, OuterHeader outer) implements Encryption {
        public Pgp {
            keys = List.copyOf(keys);
        }
    }

    /** One recipient, the certificate chosen for it and why. */
    record Keyed(Recipient recipient, PgpKeys.ValidCert cert, String why) {
    }

    /** Encrypt one copy with S/MIME to every certificate listed; AES-256-GCM AuthEnvelopedData if {@code gcm}. */
    record Smime(List<Certified> certs, OuterHeader outer, boolean gcm) implements Encryption {
        public Smime {
            certs = List.copyOf(certs);
        }
    }

    /** Send one recipient a password-protected PDF of the message, in a carrier mail that says what it is. */
    record Pdf(Recipient recipient, String why, PdfPassword password) implements Encryption {
    }

    /** One recipient, the S/MIME certificate chosen for it and why. */
    record Certified(Recipient recipient, CertDirectory.ValidCert cert, String why) {
    }
}
