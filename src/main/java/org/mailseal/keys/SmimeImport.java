package org.mailseal.keys;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.SmimeCerts;

/**
 * Imports S/MIME certificates from PEM, DER, a PKCS#7 bundle or a PKCS#12 file: each user certificate is
 * validated (chain, dates, revocation, key usage) before it is stored; CA certificates in the file are kept
 * as chain certificates; a private key that belongs to an imported certificate is sealed under the master
 * key. One place for the CLI ({@code certs import}), the web admin and the API.
 */
public final class SmimeImport {

    /** One imported certificate. */
    public record Imported(String fingerprint, boolean withKey, List<String> emails) {
    }

    /** What was imported, and why the rest was refused. */
    public record Result(List<Imported> imported, List<String> refused) {
    }

    private SmimeImport() {
    }

    /**
     * @param mk the master key, needed only when the bundle holds private keys (null otherwise)
     * @throws IllegalArgumentException when the data is no certificate, or holds keys that cannot be sealed
     */
    public static Result run(SmimeStore store, CertDirectory dir, SmimeCerts.Bundle b, MasterKey mk, boolean encryptOnly) throws Exception {
        if (!b.keys().isEmpty() && encryptOnly) {
            throw new IllegalArgumentException("mode: encrypt-only: refusing to import private keys (import the certificate only)");
        }
        if (!b.keys().isEmpty() && mk == null) {
            throw new IllegalArgumentException("importing a private key needs the master key");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (X509Certificate c : b.certs()) {
            if (SmimeCerts.isCa(c)) {
                chain.add(c);
            }
        }
        for (SmimeCerts.KeyPairEntry k : b.keys()) {
            k.chain().stream().skip(1).forEach(chain::add);
        }
        List<Imported> imported = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (X509Certificate c : b.certs()) {
            if (SmimeCerts.isCa(c)) {
                continue;
            }
            try {
                dir.validate(c, null, chain);
                for (X509Certificate x : chain) {
                    store.putChainCert(x);
                }
                store.putCert(c, false);
                store.setSource(SmimeCerts.fingerprint(c), "imported");
                boolean withKey = false;
                for (SmimeCerts.KeyPairEntry k : b.keys()) {
                    if (k.chain().get(0).equals(c)) {
                        store.putPrivateKey(c, k.key(), mk);
                        withKey = true;
                    }
                }
                imported.add(new Imported(SmimeCerts.fingerprint(c), withKey, SmimeCerts.emails(c)));
            } catch (KeyStoreException e) {
                refused.add(e.getMessage());
            }
        }
        return new Result(imported, refused);
    }
}
