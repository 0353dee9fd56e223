package org.mailseal.keys;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.mail.Address;

/**
 * A local domain's relay key: an OpenPGP key and, when the CA exists, an S/MIME certificate for
 * {@code <relayKeyLocalPart>@DOMAIN}, which users encrypt their outbound mail to. A held, usable one is kept;
 * otherwise a new one is made (in the PKCS#11 token when one is given, else sealed under the master key).
 * One place for the CLI ({@code keys relay-key}), the web admin and the API.
 */
public final class RelayKeys {

    /** The domain's relay key and certificate ({@code smime} null without a CA). */
    public record Made(String address, PgpKeys.ValidCert pgp, CertDirectory.ValidCert smime) {
    }

    private RelayKeys() {
    }

    public static Made ensure(MailsealConfig cfg, DataSource ds, MasterKey mk, Pkcs11Token token, String domain) throws Exception {
        String d = domain.toLowerCase(java.util.Locale.ROOT);
        if (!cfg.domains().local().contains(d)) {
            throw new IllegalArgumentException(d + " is not a local domain (domains.local)");
        }
        String address = cfg.outbound().relayAddress(d);
        PgpKeyStore store = new PgpKeyStore(ds);
        TokenKeys tokenKeys = new TokenKeys(ds);
        KeyDirectory dir = new KeyDirectory(store, mk, PgpKeys.Algo.parse(cfg.keys().generateAlgorithm()));
        if (token != null) {
            dir.useToken(token, tokenKeys);
        }
        boolean pgpHeld = store.list(address).stream().anyMatch(e -> e.hasSecret() || hasAlias(tokenKeys, e.fingerprint()));
        PgpKeys.ValidCert v = pgpHeld && dir.find(address).isPresent() ? dir.find(address).get()
                : token != null ? dir.generate(address) : generate(store, mk, PgpKeys.Algo.parse(cfg.keys().generateAlgorithm()), address);
        SmimeStore smime = new SmimeStore(ds);
        if (smime.ca().isEmpty()) {
            return new Made(address, v, null);
        }
        CertDirectory certs = new CertDirectory(smime, mk, cfg);
        if (token != null) {
            certs.useToken(token, tokenKeys);
        }
        boolean held = smime.list(address).stream().anyMatch(e -> e.hasKey() || hasAlias(tokenKeys, e.fingerprint()));
        CertDirectory.ValidCert c = held && certs.find(address).isPresent() ? certs.find(address).get() : certs.issue(address, null, null);
        return new Made(address, v, c);
    }

    /** Generates a new key pair for {@code email}, sealed under the master key, whatever keys it has already. */
    public static PgpKeys.ValidCert generate(PgpKeyStore store, MasterKey mk, PgpKeys.Algo algo, String email) throws Exception {
        PGPSecretKeyRing secret = PgpKeys.generate(Address.normalise(email), null, algo);
        PgpKeys.ValidCert v = store.putCert(PgpKeys.publicRing(secret), true);
        store.putSecret(v.fingerprint(), secret, mk);
        return v;
    }

    private static boolean hasAlias(TokenKeys tk, String fingerprint) {
        try {
            return tk.alias(fingerprint).isPresent();
        } catch (SQLException e) {
            return false;
        }
    }
}
