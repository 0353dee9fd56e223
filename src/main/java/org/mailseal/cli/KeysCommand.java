package org.mailseal.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.mail.Address;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage OpenPGP keys in the key store.",
        subcommands = {KeysCommand.Import.class, Shelf.ListVerb.class, KeysCommand.Show.class, Shelf.ExportVerb.class,
                Shelf.DeleteVerb.class, KeysCommand.Generate.class, KeysCommand.ExportSecret.class, KeysCommand.RelayKey.class,
                KeysCommand.RotateMaster.class, KeysCommand.Discovered.class, KeysCommand.PinAccept.class, KeysCommand.Unpin.class})
public final class KeysCommand implements Runnable, Shelf.Owner {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            return run(new PgpKeyStore(d.dataSource()));
        }

        abstract int run(PgpKeyStore store) throws Exception;
    }

    static String describe(PgpKeyStore.Entry e) {
        return e.fingerprint() + "  " + e.algorithm() + "  created " + e.created().toString().substring(0, 10)
                + (e.expires() != null ? "  expires " + e.expires().toString().substring(0, 10) : "")
                + (e.managed() ? "  gateway-managed" : "") + (e.hasSecret() ? "  secret" : "")
                + "  " + String.join(", ", e.emails()) + "  source: store (" + e.origin() + ")";
    }

    static String describe(org.mailseal.keys.DiscoveredKeys.Entry e) {
        return e.fingerprint() + "  discovered  seen " + e.seen().toString().substring(0, 10) + "  " + e.email() + "  source: " + e.source();
    }

    static char[] readPassphrase(Path file, String prompt) throws IOException {
        return Secrets.read(file, "--passphrase-file", prompt, false);
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import keys (armored or binary; one key or a whole keyring) from FILE or - (stdin). Refused keys are named with the reason.")
    static final class Import extends Base {
        @Parameters(paramLabel = "FILE|-")
        String file;

        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Passphrase of protected secret keys being imported.")
        Path passphraseFile;

        @Override
        int run(PgpKeyStore store) throws Exception {
            byte[] data = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            List<Object> rings;
            try (InputStream in = new ByteArrayInputStream(data)) {
                rings = PgpKeys.readKeyrings(in);
            }
            if (cfg.encryptOnly() && rings.stream().anyMatch(r -> r instanceof PGPSecretKeyRing)) {
                System.err.println("mailseal: mode: encrypt-only: refusing to import secret keys (import the public key only)");
                return 2;
            }
            Shelf.Tally tally = new Shelf.Tally();
            for (Object o : rings) {
                PGPPublicKeyRing pub = o instanceof PGPSecretKeyRing s ? PgpKeys.publicRing(s) : (PGPPublicKeyRing) o;
                try {
                    PgpKeys.ValidCert v = store.putCert(pub, false);
                    store.setSource(v.fingerprint(), "imported");
                    if (o instanceof PGPSecretKeyRing s) {
                        store.putSecret(v.fingerprint(), unprotect(s), master());
                    }
                    tally.imported(v.fingerprint(), o instanceof PGPSecretKeyRing ? " (with secret key)" : "", v.emails());
                } catch (KeyStoreException e) {
                    tally.refused(e);
                }
            }
            return tally.finish(false);
        }

        private PGPSecretKeyRing unprotect(PGPSecretKeyRing ring) throws Exception {
            boolean protectedKey = false;
            for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
                PGPSecretKey k = it.next();
                protectedKey |= k.getKeyEncryptionAlgorithm() != 0;
            }
            if (!protectedKey) {
                return ring;
            }
            char[] pass = readPassphrase(passphraseFile, "Passphrase of the secret key: ");
            try {
                List<PGPSecretKey> keys = new java.util.ArrayList<>();
                for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
                    keys.add(PGPSecretKey.copyWithNewPassword(it.next(),
                            new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(pass), null));
                }
                return new PGPSecretKeyRing(keys);
            } catch (PGPException e) {
                throw new KeyStoreException("wrong passphrase for secret key " + PgpKeys.fingerprint(ring.getPublicKey()));
            }
        }
    }

    /** The OpenPGP store, for the shared verbs. */
    @Override
    public Shelf<?> shelf(Database d) {
        PgpKeyStore store = new PgpKeyStore(d.dataSource());
        org.mailseal.keys.DiscoveredKeys discovered = new org.mailseal.keys.DiscoveredKeys(d.dataSource());
        // The store's keys, then the OpenPGP keys discovery found (WKD, OPENPGPKEY, key servers), each with its source.
        Shelf.Lister<Object> both = email -> {
            List<Object> all = new java.util.ArrayList<>(store.list(email));
            discovered.list().stream().filter(e -> e.kind().equals("openpgp") && (email == null || e.email().equalsIgnoreCase(email))).forEach(all::add);
            return all;
        };
        return new Shelf<>("key", both, o -> o instanceof PgpKeyStore.Entry e ? describe(e) : describe((org.mailseal.keys.DiscoveredKeys.Entry) o),
                fpr -> {
                    Optional<PGPPublicKeyRing> ring = store.cert(fpr);
                    return ring.isEmpty() ? Optional.empty() : Optional.of(PgpKeys.armor(ring.get().getEncoded()));
                }, store::delete, PgpKeyStore::normaliseFpr);
    }

    @Command(name = "discovered", mixinStandardHelpOptions = true,
            description = "Keys found outside the store for outbound recipients (WKD, OPENPGPKEY, SMIMEA), with their source, and the pins of the 'pinned' policy.")
    static final class Discovered extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            org.mailseal.keys.DiscoveredKeys k = new org.mailseal.keys.DiscoveredKeys(d.dataSource());
            for (org.mailseal.keys.DiscoveredKeys.Entry e : k.list()) {
                System.out.println(e.email() + "  " + e.kind() + "  " + e.fingerprint() + "  seen " + e.seen() + "  source: " + e.source());
            }
            for (org.mailseal.keys.DiscoveredKeys.Pin p : k.pins()) {
                System.out.println("pin " + p.email() + "  " + p.fingerprint() + "  since " + p.pinned() + "  from " + p.source()
                        + (p.offeredFingerprint() != null ? "  CHANGED: " + p.offeredFingerprint() + " offered " + p.offeredAt() + " from "
                                + p.offeredSource() + " (mailseal keys pin-accept " + p.email() + ")" : ""));
            }
            return 0;
        }
    }

    @Command(name = "pin-accept", mixinStandardHelpOptions = true,
            description = "Accept the changed key offered for ADDRESS under the 'pinned' policy: it becomes the pin, at once.")
    static final class PinAccept extends StoreCommand {
        @Parameters(paramLabel = "ADDRESS")
        String address;

        @Override
        int run(Database d) throws Exception {
            if (!new org.mailseal.keys.DiscoveredKeys(d.dataSource()).acceptOffered(Address.normalise(address))) {
                System.err.println("mailseal: no changed key waits for " + address);
                return 1;
            }
            System.out.println("pinned the offered key for " + Address.normalise(address));
            return 0;
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Forget the pin for ADDRESS: the next key found is pinned.")
    static final class Unpin extends StoreCommand {
        @Parameters(paramLabel = "ADDRESS")
        String address;

        @Override
        int run(Database d) throws Exception {
            if (!new org.mailseal.keys.DiscoveredKeys(d.dataSource()).unpin(Address.normalise(address))) {
                System.err.println("mailseal: no pin for " + address);
                return 1;
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one key and whether it is usable now.")
    static final class Show extends Base {
        @Parameters(paramLabel = "FPR")
        String fpr;

        @Override
        int run(PgpKeyStore store) throws Exception {
            PGPPublicKeyRing ring = store.cert(fpr).orElse(null);
            if (ring == null) {
                System.err.println("mailseal: no key " + PgpKeyStore.normaliseFpr(fpr));
                return 1;
            }
            store.list(null).stream().filter(e -> e.fingerprint().equals(PgpKeyStore.normaliseFpr(fpr)))
                    .forEach(e -> System.out.println(describe(e)));
            for (Iterator<String> it = ring.getPublicKey().getUserIDs(); it.hasNext(); ) {
                System.out.println("  uid " + it.next());
            }
            try {
                PgpKeys.ValidCert v = PgpKeys.validate(ring, null, Instant.now());
                v.encryptionKeys().forEach(k -> System.out.println("  encryption subkey " + PgpKeys.fingerprint(k) + " " + PgpKeys.algorithmName(k)));
                System.out.println("  usable: yes");
            } catch (KeyStoreException e) {
                System.out.println("  usable: no (" + e.getMessage() + ")");
            }
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate a gateway-managed key pair (GnuPG 2.2 compatible v4 key).")
    static final class Generate extends Base {
        @Option(names = "--email", required = true, paramLabel = "ADDRESS")
        String email;

        @Option(names = "--algo", paramLabel = "cv25519|rsa3072", defaultValue = "cv25519")
        String algo;

        @Override
        int run(PgpKeyStore store) throws Exception {
            if (!store.certsFor(email).isEmpty()) {
                System.err.println("note: " + email + " already has keys; the newest usable one is used for encryption");
            }
            org.mailseal.keys.Pkcs11Token token = token();
            PgpKeys.ValidCert v = token != null
                    ? new org.mailseal.keys.KeyDirectory(store, null, PgpKeys.Algo.parse(algo)).useToken(token, new org.mailseal.keys.TokenKeys(db.dataSource()))
                            .generate(email)
                    : new GenerateOnce(store, master(), PgpKeys.Algo.parse(algo)).run(email);
            System.out.println("generated " + v.fingerprint() + "  " + v.algorithm() + "  " + String.join(", ", v.emails()));
            return 0;
        }
    }

    @Command(name = "rotate-master", mixinStandardHelpOptions = true,
            description = "Re-encrypt every stored private key (and IMAP password) under a new master passphrase, in one transaction. "
                    + "With keys.masterPassphraseFile, that file is then replaced by the new passphrase; a running gateway picks it up "
                    + "by itself (no restart).")
    static final class RotateMaster extends Base {
        @Option(names = "--new-passphrase-file", required = true, paramLabel = "FILE", description = "The new passphrase ('-' for stdin).")
        Path newPassphrase;

        @Override
        int run(PgpKeyStore store) throws Exception {
            MasterKey mk = master();
            char[] next = readPassphrase(newPassphrase, "New master passphrase: ");
            if (next.length < 12) {
                System.err.println("mailseal: the new master passphrase must have at least 12 characters");
                return 2;
            }
            int n = mk.rotate(db.dataSource(), next, cfg.keys().argon2MemoryKiB(), cfg.keys().argon2Iterations());
            Path file = cfg.keys().masterPassphraseFile();
            if (file != null) {
                Path tmp = file.resolveSibling(file.getFileName() + ".new");
                Files.writeString(tmp, new String(next) + "\n");
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                System.out.println("re-sealed " + n + " records; " + file + " now holds the new passphrase");
            } else {
                System.out.println("re-sealed " + n + " records; set " + org.mailseal.keys.MasterPassphrase.ENV + " to the new passphrase "
                        + "before the next start");
            }
            java.util.Arrays.fill(next, '\0');
            return 0;
        }
    }

    @Command(name = "relay-key", mixinStandardHelpOptions = true,
            description = "Create a local domain's relay key: an OpenPGP key and (if the CA exists) an S/MIME certificate for "
                    + "<relayKeyLocalPart>@DOMAIN. Users encrypt outbound mail to it; publish it with 'keys export' and 'certs export'.")
    static final class RelayKey extends Base {
        @Option(names = "--domain", required = true, paramLabel = "DOMAIN")
        String domain;

        @Override
        int run(PgpKeyStore store) throws Exception {
            String d = domain.toLowerCase(java.util.Locale.ROOT);
            if (!cfg.domains().local().contains(d)) {
                System.err.println("error: " + d + " is not a local domain (domains.local)");
                return 2;
            }
            org.mailseal.keys.Pkcs11Token token = token();
            MasterKey mk = token != null ? org.mailseal.keys.MasterPassphrase.unlock(cfg, db.dataSource()) : master();
            org.mailseal.keys.RelayKeys.Made m = org.mailseal.keys.RelayKeys.ensure(cfg, db.dataSource(), mk, token, d);
            System.out.println("OpenPGP relay key for " + d + ": " + m.pgp().fingerprint() + "  " + m.address() + (token != null ? "  (in the PKCS#11 token)" : ""));
            if (m.smime() == null) {
                System.out.println("S/MIME relay certificate: none (no CA: run 'mailseal ca init' first, then this again)");
                return 0;
            }
            System.out.println("S/MIME relay certificate for " + d + ": " + m.smime().fingerprint() + "  " + m.address());
            return 0;
        }
    }

    /** Always generates (the directory's generate() reuses an existing usable key). */
    record GenerateOnce(PgpKeyStore store, MasterKey mk, PgpKeys.Algo algo) {
        PgpKeys.ValidCert run(String email) throws Exception {
            return org.mailseal.keys.RelayKeys.generate(store, mk, algo, email);
        }
    }

    @Command(name = "export-secret", mixinStandardHelpOptions = true,
            description = "Print a secret key protected with a passphrase (AES-256, iterated S2K), for the user's own mail client.")
    static final class ExportSecret extends Base {
        @Parameters(paramLabel = "FPR")
        String fpr;

        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "The passphrase to protect the exported key ('-' for stdin). Default: prompt.")
        Path passphraseFile;

        @Override
        int run(PgpKeyStore store) throws Exception {
            PGPSecretKeyRing ring = store.secret(fpr, master()).orElse(null);
            if (ring == null) {
                System.err.println("mailseal: no secret key " + PgpKeyStore.normaliseFpr(fpr));
                return 1;
            }
            char[] pass = readPassphrase(passphraseFile, "Passphrase to protect the exported key: ");
            if (pass.length < 8) {
                throw new IllegalArgumentException("the passphrase must have at least 8 characters");
            }
            System.out.write(PgpKeys.armor(PgpKeys.protect(ring, pass).getEncoded()));
            System.out.flush();
            return 0;
        }
    }

}
