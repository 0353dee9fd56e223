package org.mailseal.policy;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.config.EncryptMode;
import org.mailseal.config.MailsealConfig;
import org.mailseal.config.MissingKeyAction;
import org.mailseal.config.PolicySettings;
import org.mailseal.config.PolicyValues;
import org.mailseal.mail.Address;

/**
 * The effective policy for a recipient: built-in default ← global ({@code policy:}) ← domain
 * ({@code domains.policies.<d>}) ← user (the store), each value with where it came from.
 */
public final class PolicyResolver {

    /** Setting names as used in the config, the store and the CLI. */
    public static final List<String> SETTINGS = PolicyValues.SETTINGS;

    /** Built-in defaults. */
    private static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("encrypt", "mandatory"), Map.entry("onMissingKey", "generate"),
            Map.entry("subjectPlaceholder", "[...]"), Map.entry("method", "any"), Map.entry("preferredMethod", "openpgp"),
            Map.entry("generateMethod", "openpgp"), Map.entry("smimeCipher", "aes256-cbc"), Map.entry("sign", "none"),
            Map.entry("generateFor", "users"), Map.entry("outerHeaders", "minimal"), Map.entry("pdf", "fallback"));

    /** One effective value and its source: {@code default}, {@code global}, {@code domain <d>} or {@code user}. */
    public record Value(String value, String source) {
    }

    /** The effective policy. */
    public record Effective(EncryptMode encrypt, MissingKeyAction onMissingKey, String subjectPlaceholder, Map<String, Value> values) {
        public String source(String setting) {
            return values.get(setting).source();
        }

        public String get(String setting) {
            return values.get(setting).value();
        }

        /** Which methods may be used. */
        public org.mailseal.config.CryptoMethod method() {
            return org.mailseal.config.CryptoMethod.parse("method", get("method"), true);
        }

        /** With both methods possible, which is looked up first. */
        public org.mailseal.config.CryptoMethod preferredMethod() {
            return org.mailseal.config.CryptoMethod.parse("preferredMethod", get("preferredMethod"), false);
        }

        /** The kind of key generated when {@code method} is any. */
        public org.mailseal.config.CryptoMethod generateMethod() {
            return org.mailseal.config.CryptoMethod.parse("generateMethod", get("generateMethod"), false);
        }

        /** How outbound mail of this sender is signed. */
        public org.mailseal.config.SignMethod sign() {
            return org.mailseal.config.SignMethod.parse(get("sign"));
        }

        /** What the provider may see of the header of a message encrypted under this policy. */
        public org.mailseal.mime.OuterHeader outerHeader() {
            return org.mailseal.mime.OuterHeader.of(subjectPlaceholder, get("outerHeaders"));
        }

        public boolean smimeGcm() {
            return get("smimeCipher").equals("aes256-gcm");
        }
    }

    private final MailsealConfig config;
    private final PolicyStore store;

    // A user's own settings, reused for up to a second: `policy set` takes effect within that.
    private final org.mailseal.keys.RecentLookups<Map<String, String>> userSettings = new org.mailseal.keys.RecentLookups<>();

    public PolicyResolver(MailsealConfig config, PolicyStore store) {
        this.config = config;
        this.store = store;
    }

    public Effective resolve(Address rcpt) throws SQLException {
        Map<String, Value> v = new LinkedHashMap<>();
        for (String k : SETTINGS) {
            v.put(k, new Value(DEFAULTS.get(k), "default"));
        }
        apply(v, config.policy(), "global");
        PolicySettings d = config.domains().policies().get(rcpt.domainLower());
        if (d != null) {
            apply(v, d, "domain " + rcpt.domainLower());
        }
        if (store != null) {
            Map<String, String> own = userSettings.recent(rcpt.toString());
            if (own == null) {
                own = userSettings.remember(rcpt.toString(), store.get(rcpt.toString()));
            }
            own.forEach((k, val) -> {
                if (v.containsKey(k)) {
                    v.put(k, new Value(val, "user"));
                }
            });
        }
        return new Effective(EncryptMode.parse(v.get("encrypt").value()), MissingKeyAction.parse(v.get("onMissingKey").value()),
                v.get("subjectPlaceholder").value(), v);
    }

    private static void apply(Map<String, Value> v, PolicySettings p, String source) {
        p.asMap().forEach((k, val) -> v.put(k, new Value(val, source)));
    }

    /** Checks a {@code KEY=VALUE} setting from the CLI; throws with a clear message. */
    public static void validate(String key, String value) {
        PolicyValues.validate(key, value);
    }
}
