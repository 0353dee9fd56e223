package org.mailseal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The config page masks every secret: by the setting's name, and inside URLs; a path to a secret's file is shown. */
class ConfigPageTest {

    record Db(String url, String user, java.nio.file.Path passwordFile) {
    }

    record Top(Db database, Map<String, String> extra, List<String> names, String apiToken, char[] pin) {
    }

    @Test
    void secretsAreMaskedAndTheRestShown() {
        Object t = ConfigPage.tree(new Top(new Db("jdbc:postgresql://db.example:5432/mail?user=ms&password=hunter2&ssl=true", "ms",
                java.nio.file.Path.of("/etc/mailseal/db.pass")), Map.of("ldapPassword", "s3cret", "host", "ldap.example"),
                List.of("https://u:topsecret@example.org/x"), "ms_abc_def", "1234".toCharArray()));
        String shown = t.toString();
        assertThat(shown).doesNotContain("hunter2", "s3cret", "topsecret", "ms_abc_def", "1234")
                .contains("password=********", "/etc/mailseal/db.pass", "ldap.example", "u:********@example.org", "user=ms");
    }
}
