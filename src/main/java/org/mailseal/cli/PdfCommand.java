package org.mailseal.cli;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import org.mailseal.crypto.pdf.SealedPdf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pdf", mixinStandardHelpOptions = true, description = "PDF encryption for recipients without keys.",
        subcommands = {PdfCommand.Password.class, PdfCommand.Derive.class, PdfCommand.Render.class})
public final class PdfCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "password", mixinStandardHelpOptions = true,
            description = "Set or replace (or with --delete remove) a recipient's PDF password, sealed under the master key. "
                    + "Tell it to the recipient once, by another channel than mail.")
    static final class Password extends StoreCommand {
        @Option(names = "--email", required = true, paramLabel = "ADDRESS", description = "The recipient.")
        String email;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The password ('-' for stdin). Default: prompt twice.")
        Path passwordFile;

        @Option(names = "--delete", description = "Remove the recipient's password.")
        boolean delete;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            org.mailseal.mail.Address address = org.mailseal.mail.Address.parse(email.strip());
            org.mailseal.keys.PdfPasswords passwords = new org.mailseal.keys.PdfPasswords(db.dataSource());
            if (delete) {
                System.out.println(passwords.delete(address.toString()) ? "removed the PDF password of " + address : "no PDF password set for " + address);
                return 0;
            }
            char[] pw = Secrets.read(passwordFile, "--password-file", "PDF password for " + address + ": ", passwordFile == null);
            try {
                if (pw.length < 12) {
                    throw new IllegalArgumentException("the PDF password must have at least 12 characters (PDF key derivation is cheap)");
                }
                boolean replaced = passwords.put(address.toString(), pw, master());
                System.out.println((replaced ? "replaced" : "set") + " the PDF password of " + address);
            } finally {
                java.util.Arrays.fill(pw, '\0');
            }
            return 0;
        }
    }

    @Command(name = "derive", mixinStandardHelpOptions = true,
            description = "Print the derived password of one PDF (pdf.derivePasswords), from the recipient and the PDF reference in its carrier mail. "
                    + "Tell it to the recipient by phone, never by mail.")
    static final class Derive extends StoreCommand {
        @Option(names = "--email", required = true, paramLabel = "ADDRESS", description = "The recipient.")
        String email;

        @Option(names = "--ref", required = true, paramLabel = "XXXX-XXXX-XXXX", description = "The PDF reference the carrier mail names.")
        String reference;

        @Override
        int run(org.mailseal.store.Database db) throws Exception {
            org.mailseal.mail.Address address = org.mailseal.mail.Address.parse(email.strip());
            if (!reference.strip().matches("[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")) {
                throw new IllegalArgumentException("--ref: a PDF reference looks like ABCD-EFGH-JKLM (got '" + reference + "')");
            }
            java.util.Optional<byte[]> secret = new org.mailseal.keys.PdfSecrets(db.dataSource()).find(address.toString(), master());
            if (secret.isEmpty()) {
                System.err.println("mailseal: no PDF with a derived password was sent to " + address);
                return 1;
            }
            char[] pw = org.mailseal.crypto.pdf.DerivedPassword.derive(secret.get(), reference);
            java.util.Arrays.fill(secret.get(), (byte) 0);
            System.out.println(new String(pw));
            java.util.Arrays.fill(pw, '\0');
            return 0;
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Render a message (.eml) as the password-protected PDF a recipient without a key would get, to preview it.")
    static final class Render implements Callable<Integer> {
        @Parameters(paramLabel = "FILE.eml")
        Path message;

        @Option(names = "--out", required = true, paramLabel = "FILE.pdf")
        Path out;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The PDF's password ('-' for stdin). Default: prompt.")
        Path passwordFile;

        @Option(names = "--attach-original", description = "Also embed the original message as message.eml.")
        boolean attachOriginal;

        @Override
        public Integer call() throws Exception {
            if (!Files.isReadable(message)) {
                System.err.println("mailseal: cannot read " + message);
                return 1;
            }
            char[] pw = Secrets.read(passwordFile, "--password-file", "PDF password: ", passwordFile == null);
            if (pw.length < 8) {
                throw new IllegalArgumentException("the password must have at least 8 characters");
            }
            Path dir = out.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, ".pdf", ".tmp");
            try {
                try (OutputStream o = Files.newOutputStream(tmp)) {
                    SealedPdf.write(() -> Files.newInputStream(message), o, pw, attachOriginal);
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            System.out.println("wrote " + out + " (AES-256)");
            return 0;
        }
    }
}
