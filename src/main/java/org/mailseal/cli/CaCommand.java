package org.mailseal.cli;

import java.io.OutputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.Pkcs12File;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.SmimeStore;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ca", mixinStandardHelpOptions = true, description = "The built-in S/MIME certificate authority.",
        subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.ExportP12.class, CaCommand.Revoke.class, CaCommand.Crl.class,
                CaCommand.Show.class})
public final class CaCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            return run(new SmimeStore(d.dataSource()));
        }

        CertDirectory directory() throws Exception {
            org.mailseal.keys.Pkcs11Token t = token();
            if (t != null) {
                return new CertDirectory(new SmimeStore(db.dataSource()), org.mailseal.keys.MasterPassphrase.unlock(cfg, db.dataSource()), cfg)
                        .useToken(t, new org.mailseal.keys.TokenKeys(db.dataSource()));
            }
            return new CertDirectory(new SmimeStore(db.dataSource()), master(), cfg);
        }

        abstract int run(SmimeStore store) throws Exception;
    }

    static void writePem(OutputStream o, String type, byte[] der) throws java.io.IOException {
        o.write(pem(type, der));
    }

    static byte[] pem(String type, byte[] der) {
        return SmimeCerts.pem(type, der);
    }

    @Command(name = "init", mixinStandardHelpOptions = true, description = "Create the CA (its key is sealed under the master key).")
    static final class Init extends Base {
        @Option(names = "--algo", paramLabel = "rsa3072|p256", defaultValue = "rsa3072")
        String algo;

        @Option(names = "--days", defaultValue = "3650")
        int days;

        @Override
        int run(SmimeStore store) throws Exception {
            if (store.ca().isPresent()) {
                System.err.println("mailseal: the CA exists already: " + store.ca().get().cert().getSubjectX500Principal().getName());
                return 1;
            }
            if (cfg.keys().pkcs11() != null) {
                X509Certificate ca = directory().initCaInToken(cfg.ca().name(), Duration.ofDays(days));
                System.out.println("created CA " + ca.getSubjectX500Principal().getName() + " (rsa3072, key in the PKCS#11 token, SHA-256 "
                        + SmimeCerts.fingerprint(ca) + ")");
                return 0;
            }
            MasterKey mk = master();
            KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.parse(algo));
            X509Certificate ca = CertificateAuthority.createCa(kp, cfg.ca().name(), Duration.ofDays(days));
            store.initCa(ca, kp.getPrivate(), mk);
            System.out.println("created CA " + ca.getSubjectX500Principal().getName() + " (" + SmimeCerts.keyAlgorithm(ca) + ", SHA-256 " + SmimeCerts.fingerprint(ca) + ")");
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the CA certificate (PEM), for users' trust stores.")
    static final class Show extends Base {
        @Override
        int run(SmimeStore store) throws Exception {
            SmimeStore.Ca ca = store.ca().orElse(null);
            if (ca == null) {
                System.err.println("mailseal: no CA (run: mailseal ca init)");
                return 1;
            }
            writePem(System.out, "CERTIFICATE", ca.cert().getEncoded());
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true, description = "Issue a user certificate (SAN rfc822Name, KU, EKU emailProtection, SKI/AKI, CRL DP).")
    static final class Issue extends Base {
        @Option(names = "--email", required = true, paramLabel = "ADDRESS")
        String email;

        @Option(names = "--days")
        Integer days;

        @Option(names = "--algo", paramLabel = "rsa3072|p256")
        String algo;

        @Override
        int run(SmimeStore store) throws Exception {
            CertDirectory.ValidCert v = directory().issue(email, days, algo);
            System.out.println("issued " + v.fingerprint() + "  " + SmimeCerts.keyAlgorithm(v.cert()) + "  " + email
                    + "  valid until " + v.cert().getNotAfter().toInstant());
            return 0;
        }
    }

    @Command(name = "export-p12", mixinStandardHelpOptions = true,
            description = "Write a user's certificate, private key and the CA certificate as a password-protected PKCS#12 file "
                    + "(AES-256-CBC, PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC) for Outlook, Apple Mail, iOS Mail or Thunderbird.")
    static final class ExportP12 extends Base {
        @Option(names = "--email", required = true, paramLabel = "ADDRESS")
        String email;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The file's password ('-' for stdin). Default: prompt.")
        Path passwordFile;

        @Option(names = "--profile", defaultValue = "modern", paramLabel = "modern|legacy",
                description = "modern (default): PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, HMAC-SHA256 MAC. legacy: 3DES key, RC2-40 certificates, SHA-1 MAC, for readers "
                        + "that lack PBES2 with SHA-256, such as GnuPG 2.2's gpgsm.")
        String profile;

        @Override
        int run(SmimeStore store) throws Exception {
            if (!profile.equals("modern") && !profile.equals("legacy")) {
                throw new IllegalArgumentException("--profile must be modern or legacy");
            }
            MasterKey mk = master();
            char[] pw = KeysCommand.readPassphrase(passwordFile, "PKCS#12 password: ");
            var made = org.mailseal.keys.UserPkcs12.export(store, mk, email, pw,
                    profile.equals("legacy") ? Pkcs12File.Profile.LEGACY : Pkcs12File.Profile.MODERN);
            if (made.isEmpty()) {
                System.err.println("mailseal: no certificate with a private key for " + email);
                return 1;
            }
            java.nio.file.Files.write(out, made.get().p12());
            X509Certificate cert = made.get().certificate();
            System.out.println("wrote " + out + " (" + email + ", " + SmimeCerts.keyAlgorithm(cert) + ", " + profile + " profile)");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a certificate the CA issued (by email: all of that address's).")
    static final class Revoke extends Base {
        @Option(names = "--email", paramLabel = "ADDRESS")
        String email;

        @Option(names = "--fingerprint", paramLabel = "SHA256")
        String fingerprint;

        @Override
        int run(SmimeStore store) throws Exception {
            if ((email == null) == (fingerprint == null)) {
                throw new IllegalArgumentException("give --email or --fingerprint");
            }
            int n = 0;
            for (SmimeStore.Entry e : store.revokeIssued(email, fingerprint)) {
                System.out.println("revoked " + e.fingerprint() + " (serial " + e.serial() + ")");
                n++;
            }
            if (n == 0) {
                System.err.println("mailseal: no certificate of this CA matched");
                return 1;
            }
            return 0;
        }
    }

    @Command(name = "crl", mixinStandardHelpOptions = true, description = "Print a freshly signed CRL (PEM). The gateway also serves it at http://<metrics.listen>/ca.crl.")
    static final class Crl extends Base {
        @Override
        int run(SmimeStore store) throws Exception {
            X509CRL crl = directory().currentCrl();
            writePem(System.out, "X509 CRL", crl.getEncoded());
            System.out.flush();
            return 0;
        }
    }
}
