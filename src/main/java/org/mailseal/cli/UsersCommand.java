package org.mailseal.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.mailseal.auth.PasswordHasher;
import org.mailseal.auth.UserStore;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "users", mixinStandardHelpOptions = true, description = "Manage SMTP AUTH users (Argon2id hashes in the store).",
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.Passwd.class, UsersCommand.Delete.class,
                UsersCommand.ImapLogin.class, UsersCommand.Addresses.class})
public final class UsersCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            return run(new UserStore(d.dataSource(), new PasswordHasher(cfg.auth().argon2MemoryKiB(), cfg.auth().argon2Iterations())));
        }

        abstract int run(UserStore users) throws Exception;
    }

    abstract static class WithPassword extends Base {
        @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from FILE ('-' for standard input). Default: prompt.")
        Path passwordFile;

        String password() throws IOException {
            String p = new String(Secrets.read(passwordFile, "--password-file", "Password: ", true));
            if (p.length() < 8) {
                throw new IllegalArgumentException("password must have at least 8 characters");
            }
            return p;
        }
    }

    @Command(name = "addresses", mixinStandardHelpOptions = true,
            description = "List, add or remove the further addresses (aliases) a sender owns: its decrypted outbound mail may use them in From.")
    static final class Addresses extends Base {
        @Parameters(paramLabel = "SENDER", description = "The SASL user or envelope sender.")
        String sender;

        @Option(names = "--add", paramLabel = "ADDRESS")
        java.util.List<String> add = new java.util.ArrayList<>();

        @Option(names = "--remove", paramLabel = "ADDRESS")
        java.util.List<String> remove = new java.util.ArrayList<>();

        @Override
        int run(UserStore users) throws Exception {
            org.mailseal.auth.SenderAddresses a = new org.mailseal.auth.SenderAddresses(db.dataSource());
            for (String x : add) {
                org.mailseal.mail.Address.parse(x);
                a.add(sender, x);
            }
            for (String x : remove) {
                a.remove(sender, x);
            }
            a.of(sender).forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "imap-login", mixinStandardHelpOptions = true,
            description = "Store (or with --delete remove) a user's login to the cloud IMAP server, for encrypted Sent copies. "
                    + "The password is sealed under the master key.")
    static final class ImapLogin extends WithPassword {
        @Parameters(paramLabel = "EMAIL", description = "The user's address (the envelope sender of their mail).")
        String email;

        @Option(names = "--login", paramLabel = "NAME", description = "The IMAP login name (default: EMAIL).")
        String login;

        @Option(names = "--delete", description = "Remove the stored login.")
        boolean delete;

        @Override
        int run(UserStore users) throws Exception {
            org.mailseal.imap.ImapLogins logins = new org.mailseal.imap.ImapLogins(db.dataSource());
            if (delete) {
                System.out.println(logins.delete(email) ? "removed IMAP login of " + email : "no IMAP login stored for " + email);
                return 0;
            }
            logins.put(email, login != null ? login : email, password().toCharArray(), master());
            System.out.println("stored IMAP login for " + email);
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a user.")
    static final class Add extends WithPassword {
        @Parameters(paramLabel = "USER")
        String user;

        @Override
        int run(UserStore users) throws Exception {
            if (!users.add(user, password())) {
                System.err.println("mailseal: user " + UserStore.normalise(user) + " exists already");
                return 1;
            }
            System.out.println("added " + UserStore.normalise(user));
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, description = "Set a user's password.")
    static final class Passwd extends WithPassword {
        @Parameters(paramLabel = "USER")
        String user;

        @Override
        int run(UserStore users) throws Exception {
            if (!users.exists(user)) {
                System.err.println("mailseal: no user " + UserStore.normalise(user));
                return 1;
            }
            users.setPassword(user, password());
            System.out.println("password changed for " + UserStore.normalise(user));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
    static final class ListUsers extends Base {
        @Override
        int run(UserStore users) throws Exception {
            users.list().forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a user.")
    static final class Delete extends Base {
        @Parameters(paramLabel = "USER")
        String user;

        @Override
        int run(UserStore users) throws Exception {
            if (!users.delete(user)) {
                System.err.println("mailseal: no user " + UserStore.normalise(user));
                return 1;
            }
            System.out.println("deleted " + UserStore.normalise(user));
            return 0;
        }
    }
}
