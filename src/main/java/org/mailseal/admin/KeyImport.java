package org.mailseal.admin;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.PgpKeyStore;

/**
 * Public OpenPGP keys imported through the web page or the API: each key is validated as the store does for
 * {@code mailseal keys import}, and each one stored is audited. Secret keys are left out (the CLI imports
 * those, with their passphrase).
 */
final class KeyImport {

    /** What came of one import. */
    record Result(List<PgpKeys.ValidCert> imported, List<String> refused) {
    }

    private KeyImport() {
    }

    /** Throws {@link IOException} when {@code data} is no OpenPGP data at all. */
    static Result publicKeys(PgpKeyStore store, Audit audit, String actor, String client, byte[] data) throws IOException, SQLException {
        List<Object> rings = PgpKeys.readKeyrings(new ByteArrayInputStream(data));
        List<PgpKeys.ValidCert> imported = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Object o : rings) {
            if (!(o instanceof PGPPublicKeyRing pub)) {
                refused.add("a secret key was left out: import secret keys with the CLI (mailseal keys import)");
                continue;
            }
            try {
                PgpKeys.ValidCert c = store.putCert(pub, false);
                store.setSource(c.fingerprint(), "imported");
                audit.record(actor, "key.import", c.fingerprint() + " " + String.join(",", c.emails()), client);
                imported.add(c);
            } catch (KeyStoreException e) {
                refused.add(e.getMessage());
            }
        }
        if (rings.isEmpty()) {
            refused.add("no key found in what was sent");
        }
        return new Result(imported, refused);
    }
}
