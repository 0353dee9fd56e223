package org.mailseal.cli;

import java.util.concurrent.Callable;
import org.mailseal.config.MailsealConfig;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.store.Database;
import picocli.CommandLine.Mixin;

/** A subcommand that works on the store: loads the config, opens the database, unlocks the master key on demand. */
abstract class StoreCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;
    MailsealConfig cfg;
    Database db;

    @Override
    public Integer call() throws Exception {
        cfg = config.load();
        try (Database d = Database.open(cfg)) {
            db = d;
            return run(d);
        }
    }

    abstract int run(Database db) throws Exception;

    /** The configured PKCS#11 token, opened; null without keys.pkcs11. */
    org.mailseal.keys.Pkcs11Token token() throws Exception {
        if (cfg.keys().pkcs11() == null) {
            return null;
        }
        if (cfg.encryptOnly()) {
            throw new IllegalArgumentException("mode: encrypt-only: no private keys, not even in a token");
        }
        return org.mailseal.keys.Pkcs11Token.open(cfg.keys().pkcs11());
    }

    /** The unlocked master key; a clear error when no passphrase is configured. */
    MasterKey master() throws Exception {
        if (cfg.encryptOnly()) {
            throw new IllegalArgumentException("mode: encrypt-only: mailseal holds no private keys, so it does not import, generate or use "
                    + "them (import public keys and certificates only)");
        }
        MasterKey mk = MasterPassphrase.unlock(cfg, db.dataSource());
        if (mk == null) {
            throw new IllegalArgumentException("this needs the master passphrase: set keys.masterPassphraseFile or " + MasterPassphrase.ENV);
        }
        return mk;
    }
}
