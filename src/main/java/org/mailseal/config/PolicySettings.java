package org.mailseal.config;

import java.util.Map;

/** Encryption policy values; null means "inherit". Checked by {@link PolicyValues}; combined by {@code policy.PolicyResolver}. */
public record PolicySettings(String encrypt, String onMissingKey, String subjectPlaceholder, String method,
                             String preferredMethod, String generateMethod, String smimeCipher, String sign,
                             String generateFor, String outerHeaders, String pdf) {
    public PolicySettings {
        map(encrypt, onMissingKey, subjectPlaceholder, method, preferredMethod, generateMethod, smimeCipher, sign, generateFor, outerHeaders, pdf)
                .forEach(PolicyValues::validate);
    }

    /** The set values, by setting name. */
    public java.util.Map<String, String> asMap() {
        return map(encrypt, onMissingKey, subjectPlaceholder, method, preferredMethod, generateMethod, smimeCipher, sign, generateFor, outerHeaders,
                pdf);
    }

    private static java.util.Map<String, String> map(String encrypt, String onMissingKey, String subjectPlaceholder, String method,
                                                     String preferredMethod, String generateMethod, String smimeCipher, String sign,
                                                     String generateFor, String outerHeaders, String pdf) {
        java.util.Map<String, String> v = new java.util.LinkedHashMap<>();
        v.put("encrypt", encrypt);
        v.put("onMissingKey", onMissingKey);
        v.put("subjectPlaceholder", subjectPlaceholder);
        v.put("method", method);
        v.put("preferredMethod", preferredMethod);
        v.put("generateMethod", generateMethod);
        v.put("smimeCipher", smimeCipher);
        v.put("sign", sign);
        v.put("generateFor", generateFor);
        v.put("outerHeaders", outerHeaders);
        v.put("pdf", pdf);
        v.values().removeIf(java.util.Objects::isNull);
        return v;
    }
}
