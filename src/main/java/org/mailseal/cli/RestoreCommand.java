package org.mailseal.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import org.mailseal.backup.Backup;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.MasterPassphrase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a backup into an empty installation (the data dir empty or absent, the database without rows). "
                + "The whole file is checked before anything changes. With --verify: only check it.")
public final class RestoreCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The config to restore with; when it does not exist, the backup's config is written there.")
    Path configFile;

    @Option(names = "--verify", description = "Check the backup (passphrase, every part, row counts, file sums) without restoring.")
    boolean verify;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "The backup passphrase (default: the master passphrase).")
    Path passphraseFile;

    @Override
    public Integer call() throws Exception {
        char[] pass = passphrase();
        if (verify) {
            Backup.Summary s = Backup.verify(file, pass);
            System.out.println("backup OK: made " + s.manifest().created() + " by mailseal " + s.manifest().mailseal() + " on " + s.manifest().hostname()
                    + ", schema " + s.manifest().schema() + ", " + s.tables().values().stream().mapToLong(Long::longValue).sum() + " rows in "
                    + s.tables().size() + " tables, " + s.files().size() + " data-dir files, " + s.external().size() + " files the config names");
            return 0;
        }
        if (configFile == null) {
            throw new IllegalArgumentException("--config: where the restored installation's config is (or is to be written)");
        }
        Backup.Summary s = Backup.restore(file, pass, text -> {
            if (!Files.exists(configFile)) {
                Files.createDirectories(configFile.toAbsolutePath().getParent());
                Files.createFile(configFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(configFile, text);
                System.out.println("config written to " + configFile + " (from the backup)");
            } else {
                System.out.println("config " + configFile + " kept (the backup's copy is not used)");
            }
            return ConfigLoader.load(configFile);
        });
        s.notes().forEach(n -> System.out.println("note: " + n));
        System.out.println("restored: schema " + s.manifest().schema() + " (now migrated to the current one), "
                + s.tables().values().stream().mapToLong(Long::longValue).sum() + " rows, " + s.files().size() + " data-dir files");
        return 0;
    }

    private char[] passphrase() throws Exception {
        if (passphraseFile != null) {
            return Secrets.read(passphraseFile, "--passphrase-file", "backup passphrase", false);
        }
        String env = System.getenv(MasterPassphrase.ENV);
        if (env != null && !env.isEmpty()) {
            return env.toCharArray();
        }
        if (configFile != null && Files.exists(configFile)) {
            MailsealConfig c = ConfigLoader.load(configFile);
            char[] p = MasterPassphrase.load(c);
            if (p != null) {
                return p;
            }
        }
        throw new IllegalArgumentException("the backup's passphrase: give --passphrase-file (or " + MasterPassphrase.ENV
                + ", or a --config whose keys.masterPassphraseFile holds it)");
    }
}
