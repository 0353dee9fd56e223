package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs last (see junit-platform.properties) and reads what the whole suite logged (surefire's
 * per-class output files): no master passphrase of any test, no private key, no IMAP password and
 * none of the tests' secret message bodies may appear in the logs.
 */
@Order(Integer.MAX_VALUE)
class LogHygieneTest {

    /** Every string the tests use as a secret: passphrases (collected from the test sources), bodies, key armor. */
    static List<String> secrets() throws Exception {
        List<String> out = new ArrayList<>(List.of("BEGIN PGP PRIVATE KEY BLOCK", "BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY",
                "secret body for", "the secret outbound body", "for carol's eyes only", "secret reply to", "imap-secret-1", "imap-password",
                "interop-passphrase", "S/MIME relay body of",
                // PDF passwords of the PDF suites, and the reply form's reply
                "Corpus-PDF-password-7", "Reply-test-PDF-password-3", "stage-test-password", "a-pdf-password-for-j", "-secret-9",
                "the reply canary 7781"));
        Pattern pass = Pattern.compile("writeString\\((?:master|next|pw|pin)\\w*, \"([^\"\\\\]{6,})\\\\n\"\\)");
        Pattern masterKeys = Pattern.compile("masterKeys\\(\\w+, \"([^\"\\\\]{6,})\"\\)"); // TestGateway.masterKeys(dir, "...")
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(p);
                for (Pattern each : List.of(pass, masterKeys)) {
                    Matcher m = each.matcher(source);
                    while (m.find()) {
                        out.add(m.group(1));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void noSecretInAnyLogOfTheSuite() throws Exception {
        Path reports = Path.of("target/surefire-reports");
        List<Path> logs;
        try (Stream<Path> s = Files.exists(reports) ? Files.list(reports) : Stream.empty()) {
            logs = s.filter(p -> p.getFileName().toString().endsWith("-output.txt"))
                    .filter(p -> !p.getFileName().toString().contains("LogHygieneTest")).toList();
        }
        Assumptions.assumeTrue(logs.size() >= 10, "run with the whole suite (mvn verify): it reads the other classes' logs");
        List<String> secrets = secrets();
        assertThat(secrets).contains("outbound master", "sent copy master");
        List<String> found = new ArrayList<>();
        for (Path log : logs) {
            String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                if (text.contains(secret)) {
                    found.add(log.getFileName() + ": " + secret);
                }
            }
        }
        assertThat(found).as("secrets in the logs").isEmpty();
    }
}
