package org.mailseal.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.Pkcs12File;

/**
 * A user's newest S/MIME certificate with its private key (and the issuing CA, when it is mailseal's) as a
 * password-protected PKCS#12 file: what {@code mailseal ca export-p12} writes and the web self-service
 * hands out.
 */
public final class UserPkcs12 {

    /** What was exported: the file's bytes and the certificate in it. */
    public record Export(byte[] p12, X509Certificate certificate) {
    }

    private UserPkcs12() {
    }

    /** Empty when {@code email} has no certificate whose private key mailseal holds. */
    public static Optional<Export> export(SmimeStore store, MasterKey mk, String email, char[] password, Pkcs12File.Profile profile)
            throws SQLException, GeneralSecurityException, KeyStoreException, IOException {
        if (password.length < 8) {
            throw new IllegalArgumentException("the password must have at least 8 characters");
        }
        SmimeStore.Entry e = store.list(email).stream().filter(SmimeStore.Entry::hasKey).reduce((a, b) -> b).orElse(null);
        if (e == null) {
            return Optional.empty();
        }
        X509Certificate cert = store.cert(e.fingerprint()).orElseThrow();
        PrivateKey key = store.privateKey(e.fingerprint(), mk).orElseThrow();
        List<Certificate> chain = new ArrayList<>();
        chain.add(cert);
        store.ca().filter(ca -> ca.cert().getSubjectX500Principal().equals(cert.getIssuerX500Principal())).ifPresent(ca -> chain.add(ca.cert()));
        Path dir = Files.createTempDirectory("p12-");
        Path out = dir.resolve("user.p12");
        try {
            Pkcs12File.write(out, email, key, chain.toArray(new Certificate[0]), password, profile);
            return Optional.of(new Export(Files.readAllBytes(out), cert));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }
}
