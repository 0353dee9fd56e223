package org.mailseal.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.SmimeStore;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "certs", mixinStandardHelpOptions = true, description = "Manage S/MIME certificates in the key store.",
        subcommands = {CertsCommand.Import.class, Shelf.ListVerb.class, CertsCommand.Show.class, Shelf.ExportVerb.class, Shelf.DeleteVerb.class})
public final class CertsCommand implements Runnable, Shelf.Owner {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            return run(new SmimeStore(d.dataSource()));
        }

        abstract int run(SmimeStore store) throws Exception;
    }

    static String describe(SmimeStore.Entry e) {
        return e.fingerprint() + "  " + e.algorithm() + "  until " + e.notAfter().toString().substring(0, 10)
                + (e.issued() ? "  built-in-CA" : "") + (e.hasKey() ? "  key" : "") + "  " + String.join(", ", e.emails());
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import certificates from PEM, DER, a PKCS#7 bundle, or a PKCS#12 file (with --p12-password-file; its private key is sealed "
                    + "under the master key). Each user certificate is validated; CA certificates in the file are kept as chain certificates.")
    static final class Import extends Base {
        @Parameters(paramLabel = "FILE|-")
        String file;

        @Option(names = "--p12-password-file", paramLabel = "FILE")
        Path p12Password;

        @Override
        int run(SmimeStore store) throws Exception {
            byte[] data = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            char[] pw = p12Password == null ? null : KeysCommand.readPassphrase(p12Password, "PKCS#12 password: ");
            SmimeCerts.Bundle b = SmimeCerts.read(data, pw);
            if (cfg.encryptOnly() && !b.keys().isEmpty()) {
                System.err.println("mailseal: mode: encrypt-only: refusing to import private keys (import the certificate only)");
                return 2;
            }
            MasterKey mk = b.keys().isEmpty() ? null : MasterPassphrase.unlock(cfg, db.dataSource());
            if (!b.keys().isEmpty() && mk == null) {
                throw new IllegalArgumentException("importing a private key needs the master passphrase (keys.masterPassphraseFile or " + MasterPassphrase.ENV + ")");
            }
            org.mailseal.keys.SmimeImport.Result r = org.mailseal.keys.SmimeImport.run(store, new CertDirectory(store, mk, cfg), b, mk, cfg.encryptOnly());
            Shelf.Tally tally = new Shelf.Tally();
            r.imported().forEach(i -> tally.imported(i.fingerprint(), i.withKey() ? " (with private key)" : "", i.emails()));
            r.refused().forEach(why -> tally.refused(new Exception(why)));
            return tally.finish(true);
        }
    }

    /** The S/MIME store, for the shared verbs. */
    @Override
    public Shelf<?> shelf(Database d) {
        SmimeStore store = new SmimeStore(d.dataSource());
        return new Shelf<>("certificate", store::list, CertsCommand::describe,
                fpr -> store.cert(fpr).map(c -> CaCommand.pem("CERTIFICATE", encoded(c))), store::delete,
                fpr -> fpr.replace(":", "").toUpperCase(java.util.Locale.ROOT));
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a certificate and whether it is usable now.")
    static final class Show extends Base {
        @Parameters(paramLabel = "SHA256")
        String fpr;

        @Override
        int run(SmimeStore store) throws Exception {
            X509Certificate c = store.cert(fpr).orElse(null);
            if (c == null) {
                System.err.println("mailseal: no certificate " + fpr);
                return 1;
            }
            System.out.println(SmimeCerts.describe(c));
            System.out.println("  issuer " + c.getIssuerX500Principal().getName());
            System.out.println("  valid " + c.getNotBefore().toInstant() + " .. " + c.getNotAfter().toInstant());
            System.out.println("  addresses " + SmimeCerts.emails(c));
            try {
                MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
                new CertDirectory(store, mk, cfg).validate(c, null, List.of());
                System.out.println("  usable: yes");
            } catch (KeyStoreException e) {
                System.out.println("  usable: no (" + e.getMessage() + ")");
            }
            return 0;
        }
    }

}
