package org.mailseal.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;

/** Test access to keys in a gateway's store. */
public final class StoreKeys {

    private StoreKeys() {
    }

    /** Decrypts the (first) armored PGP message in {@code message} with {@code email}'s first stored secret key. */
    public static String decrypt(MailsealConfig cfg, String email, String message) throws Exception {
        try (Database db = Database.open(cfg)) {
            MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
            PgpKeyStore store = new PgpKeyStore(db.dataSource());
            PGPSecretKeyRing sec = store.secret(store.list(email).get(0).fingerprint(), mk).orElseThrow();
            int b = message.indexOf("-----BEGIN PGP MESSAGE-----");
            int e = message.indexOf("-----END PGP MESSAGE-----") + 25;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PgpDecryptor.decrypt(new ByteArrayInputStream(message.substring(b, e).getBytes(StandardCharsets.US_ASCII)), sec, out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
