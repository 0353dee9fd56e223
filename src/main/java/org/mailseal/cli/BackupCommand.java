package org.mailseal.cli;

import java.nio.file.Path;
import org.mailseal.backup.Backup;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Write one encrypted file with the whole store (keys, CA, users, policy, DKIM keys), the data dir's files "
                + "(TLS key and certificate, seal key, quarantine), the files the config names and the config itself. "
                + "Encrypted under the master passphrase, or --passphrase-file. Safe while the gateway runs.")
public final class BackupCommand extends StoreCommand {

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the backup (0600).")
    Path out;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "A separate backup passphrase (default: the master passphrase).")
    Path passphraseFile;

    @Override
    int run(Database d) throws Exception {
        char[] pass = passphraseFile != null ? Secrets.read(passphraseFile, "--passphrase-file", "backup passphrase", false) : MasterPassphrase.load(cfg);
        if (pass == null) {
            throw new IllegalArgumentException("a backup is encrypted: set keys.masterPassphraseFile (or " + MasterPassphrase.ENV
                    + ") or give --passphrase-file");
        }
        Backup.Summary s = Backup.write(cfg, config.file, d, VersionCommand.version(), out, pass);
        System.out.println("backup written to " + out + ": schema " + s.manifest().schema() + ", " + s.tables().values().stream().mapToLong(Long::longValue).sum()
                + " rows in " + s.tables().size() + " tables, " + s.files().size() + " data-dir files, " + s.external().size() + " files the config names");
        return 0;
    }
}
