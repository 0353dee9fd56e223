package org.mailseal.cli;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * A key store as the CLI shows it: OpenPGP keys ({@code keys}) and S/MIME certificates ({@code certs})
 * are listed, exported and deleted by the same verbs, defined here once; each parent command says
 * which store through {@link Owner}.
 *
 * @param noun      what one entry is called in messages: "key", "certificate"
 * @param describe  one line per entry: fingerprint, algorithm, dates, marks, addresses
 * @param export    the entry's public part, printable (armored or PEM), or empty
 * @param normalise the fingerprint as the store writes it
 * @param <E> one listed entry
 */
record Shelf<E>(String noun, Lister<E> list, Function<E, String> describe, Exporter export, Deleter delete, UnaryOperator<String> normalise) {

    interface Lister<E> {
        List<E> list(String email) throws Exception;
    }

    interface Exporter {
        Optional<byte[]> export(String fingerprint) throws Exception;
    }

    interface Deleter {
        boolean delete(String fingerprint) throws Exception;
    }

    /** A parent command whose {@code list}, {@code export} and {@code delete} are these verbs. */
    interface Owner {
        Shelf<?> shelf(Database d);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the ${PARENT-COMMAND-NAME} in the store.")
    static final class ListVerb extends StoreCommand {
        @ParentCommand
        Owner owner;

        @Option(names = "--email", paramLabel = "ADDRESS", description = "Only those bound to this address.")
        String email;

        @Override
        int run(Database d) throws Exception {
            print(owner.shelf(d), email);
            return 0;
        }

        private static <E> void print(Shelf<E> shelf, String email) throws Exception {
            for (E e : shelf.list().list(email)) {
                System.out.println(shelf.describe().apply(e));
            }
        }
    }

    /** A verb on one entry, named by its fingerprint. */
    abstract static class OneEntryVerb extends StoreCommand {
        @ParentCommand
        Owner owner;

        @Parameters(paramLabel = "FINGERPRINT")
        String fingerprint;

        abstract int run(Shelf<?> shelf) throws Exception;

        @Override
        int run(Database d) throws Exception {
            return run(owner.shelf(d));
        }

        String normalised(Shelf<?> shelf) {
            return shelf.normalise().apply(fingerprint);
        }

        int missing(Shelf<?> shelf) {
            System.err.println("mailseal: no " + shelf.noun() + " " + normalised(shelf));
            return 1;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Print the public part of one of the ${PARENT-COMMAND-NAME} (OpenPGP armor or PEM).")
    static final class ExportVerb extends OneEntryVerb {
        @Override
        int run(Shelf<?> shelf) throws Exception {
            Optional<byte[]> out = shelf.export().export(fingerprint);
            if (out.isEmpty()) {
                return missing(shelf);
            }
            System.out.write(out.get());
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete one of the ${PARENT-COMMAND-NAME}, with its private key if the store holds it.")
    static final class DeleteVerb extends OneEntryVerb {
        @Override
        int run(Shelf<?> shelf) throws Exception {
            if (!shelf.delete().delete(fingerprint)) {
                return missing(shelf);
            }
            System.out.println("deleted " + normalised(shelf));
            return 0;
        }
    }

    /** Counts an import's outcomes and prints its last line. */
    static final class Tally {
        private int imported;
        private int refused;

        void imported(String fingerprint, String note, List<String> emails) {
            System.out.println("imported " + fingerprint + note + "  " + String.join(", ", emails));
            imported++;
        }

        void refused(Exception e) {
            System.err.println("mailseal: " + e.getMessage());
            refused++;
        }

        /** Prints "N imported, M refused"; exit status 0 only if nothing was refused and, if required, something was imported. */
        int finish(boolean requireOne) {
            System.out.println(imported + " imported, " + refused + " refused");
            return refused == 0 && (!requireOne || imported > 0) ? 0 : 1;
        }
    }
}
