package org.mailseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCliTest {

    @TempDir
    Path dir;

    @Test
    void setAndShowWithSources() throws Exception {
        Path cfg = dir.resolve("m.yml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\npolicy: {onMissingKey: tempfail}\n"
                + "domains: {local: [example.com], policies: {example.com: {subjectPlaceholder: '...'}}}\n");
        CliTest.Run show = CliTest.run("", "policy", "show", "--email", "alice@example.com", "-c", cfg.toString());
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("encrypt=mandatory  (default)", "onMissingKey=tempfail  (global)", "subjectPlaceholder=...  (domain example.com)");
        assertThat(CliTest.run("", "policy", "set", "--email", "alice@example.com", "encrypt=opportunistic", "-c", cfg.toString()).code()).isZero();
        assertThat(CliTest.run("", "policy", "show", "--email", "alice@example.com", "-c", cfg.toString()).out())
                .contains("encrypt=opportunistic  (user)");
        CliTest.Run bad = CliTest.run("", "policy", "set", "--email", "alice@example.com", "encrypt=sometimes", "-c", cfg.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("encrypt must be mandatory, opportunistic or never");
        assertThat(CliTest.run("", "policy", "set", "--email", "alice@example.com", "colour=blue", "-c", cfg.toString()).err())
                .contains("unknown policy setting 'colour'");
        assertThat(CliTest.run("", "policy", "set", "--email", "alice@example.com", "encrypt=", "-c", cfg.toString()).code()).isZero();
        assertThat(CliTest.run("", "policy", "show", "--email", "alice@example.com", "-c", cfg.toString()).out()).contains("encrypt=mandatory  (default)");
        // a domain policy for a domain that is not local is a config error
        Files.writeString(cfg, "domains: {local: [example.com], policies: {other.test: {encrypt: never}}}\n");
        CliTest.Run cfgErr = CliTest.run("", "check-config", "-c", cfg.toString());
        assertThat(cfgErr.code()).isEqualTo(2);
        assertThat(cfgErr.err()).contains("other.test").contains("not a local domain");
    }
}
