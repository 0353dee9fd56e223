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
        subcommands = {PdfCommand.Render.class})
public final class PdfCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
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
