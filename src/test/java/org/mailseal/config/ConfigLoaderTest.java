package org.mailseal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    @Test
    void defaultsListenOnLoopbackAndRelayTo10026() {
        MailsealConfig c = ConfigLoader.load(null);
        assertThat(c.smtp().listen()).isEqualTo(new HostPort("127.0.0.1", 10025));
        assertThat(c.smtp().enabled()).isTrue();
        assertThat(c.lmtp().enabled()).isFalse();
        assertThat(c.relay().defaultRoute()).isEqualTo("[127.0.0.1]:10026");
        assertThat(c.dataDir()).isEqualTo(Path.of("mailseal-data"));
        assertThat(c.limits().maxMessageSize()).isEqualTo(50L * 1024 * 1024);
    }

    @Test
    void parsesTypedValues() {
        MailsealConfig c = ConfigLoader.parse("t.yml", """
                smtp: {listen: "[::1]:2525"}
                limits: {maxMessageSize: 10MiB, commandTimeout: 90s, dataTimeout: 2m}
                relay:
                  defaultRoute: "smtp.provider.test:587"
                  tls: verify
                  routes:
                    Example.ORG: {nexthop: "[10.0.0.5]", tls: encrypt}
                networks: {trusted: [10.0.0.0/8, "2001:db8::/32"]}
                """);
        assertThat(c.smtp().listen()).isEqualTo(new HostPort("::1", 2525));
        assertThat(c.limits().maxMessageSize()).isEqualTo(10L * 1024 * 1024);
        assertThat(c.limits().commandTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.limits().dataTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.relay().tls()).isEqualTo(TlsPolicy.VERIFY);
        assertThat(c.relay().routes()).containsKey("example.org");
        assertThat(NextHop.parse(c.relay().defaultRoute()).mxLookup()).isTrue();
        assertThat(c.networks().isTrusted(java.net.InetAddress.getLoopbackAddress())).isFalse();
    }

    @Test
    void unknownKeyNamesTheKeyAndLine() {
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "hostname: gw.test\nsmtp:\n  lisen: 127.0.0.1:25\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("m.yml line 3")
                .hasMessageContaining("unknown key 'smtp.lisen'")
                .hasMessageContaining("listen");
    }

    @Test
    void enumValuesAreTypedAndABadOneNamesTheKeyAndTheChoices() {
        MailsealConfig c = ConfigLoader.parse("e.yml", "scan:\n  actions: {virus: Quarantine, spam: reject, onFailure: deliver}\n");
        assertThat(c.scan().actions().virus()).isEqualTo(ScanActions.VirusAction.QUARANTINE);
        assertThat(c.scan().actions().spam()).isEqualTo(ScanActions.SpamAction.REJECT);
        assertThat(c.scan().actions().onFailure()).isEqualTo(ScanActions.FailureAction.DELIVER);
        assertThatThrownBy(() -> ConfigLoader.parse("e.yml", "scan:\n  actions:\n    virus: drop\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("virus must be reject, quarantine (got 'drop')");
        assertThatThrownBy(() -> ConfigLoader.parse("e.yml", "policy:\n  sign: pgp\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sign must be none, openpgp, smime (got 'pgp')");
        assertThatThrownBy(() -> ConfigLoader.parse("e.yml", "policy:\n  preferredMethod: any\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("preferredMethod must be openpgp, smime (got 'any')");
    }

    @Test
    void badAddressNamesTheKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "smtp:\n  listen: nowhere\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("smtp.listen")
                .hasMessageContaining("expected host:port");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "networks:\n  trusted: [10.0.0.0/33]\n"))
                .hasMessageContaining("networks.trusted")
                .hasMessageContaining("prefix length");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "relay:\n  tls: sometimes\n"))
                .hasMessageContaining("relay.tls");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "outbound:\n  encrypt: sometimes\n"))
                .hasMessageContaining("outbound").hasMessageContaining("opportunistic, mandatory, pinned or never");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "outbound:\n  recipientDomains: {partner.test: always}\n"))
                .hasMessageContaining("recipientDomains.partner.test");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "mode: weird\n")).hasMessageContaining("mode must be full or encrypt-only");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "sentCopy:\n  enabled: true\n")).hasMessageContaining("sentCopy")
                .hasMessageContaining("imapUrl is required");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "sentCopy:\n  imapUrl: \"http://x\"\n")).hasMessageContaining("imap://");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "keys:\n  pkcs11: {library: /x}\n")).hasMessageContaining("keys.pkcs11")
                .hasMessageContaining("pinFile is required");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "policy:\n  sign: maybe\n")).hasMessageContaining("sign must be none, openpgp, smime");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "limits:\n  commandTimeout: soon\n"))
                .hasMessageContaining("limits.commandTimeout").hasMessageContaining("bad duration");
        assertThatThrownBy(() -> ConfigLoader.parse("m.yml", "limits:\n  maxDataLineLength: 100\n"))
                .hasMessageContaining("limits").hasMessageContaining("998");
    }

    @Test
    void messagesAreOneLine() {
        for (String bad : new String[] {"smtp: [", "smtp:\n  listen: x\n", "foo: 1", "limits: {maxRecipients: lots}"}) {
            assertThatThrownBy(() -> ConfigLoader.parse("m.yml", bad))
                    .isInstanceOf(ConfigException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    @Test
    void missingFileIsAClearError() {
        assertThatThrownBy(() -> ConfigLoader.load(Path.of("/nonexistent/mailseal.yml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("/nonexistent/mailseal.yml: config file not found");
    }

    @Test
    void shippedExampleConfigIsValid() {
        MailsealConfig c = ConfigLoader.load(Path.of("mailseal.example.yml"));
        assertThat(c.domains().local()).isNotEmpty();
    }

    @Test
    void pdfSettingsAreCheckedAndTheErrorNamesTheKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("p.yml", "pdf: {reply: {enabled: true}}\n")).hasMessageContaining("pdf.reply.url");
        assertThatThrownBy(() -> ConfigLoader.parse("p.yml", "pdf: {reply: {enabled: true, url: \"https://m.example\", tls: false, listen: \"0.0.0.0:8443\"}}\n"))
                .hasMessageContaining("pdf.reply.tls");
        assertThatThrownBy(() -> ConfigLoader.parse("p.yml", "pdf: {forceDomains: [\"bad domain\"]}\n")).hasMessageContaining("pdf.forceDomains");
        MailsealConfig c = ConfigLoader.parse("p.yml", "pdf: {fallback: true, reply: {enabled: true, url: \"https://m.example:10443/\"}}\n");
        org.assertj.core.api.Assertions.assertThat(c.pdf().reply().base()).isEqualTo("https://m.example:10443");
        org.assertj.core.api.Assertions.assertThat(c.pdf().subjectTrigger()).isEqualTo("[secure]");
    }
}
