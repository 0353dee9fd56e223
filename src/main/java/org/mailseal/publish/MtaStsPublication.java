package org.mailseal.publish;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.mailseal.config.MtaSts;

/**
 * The policy file a local domain serves for MTA-STS (RFC 8461 §3.2) and the id of its TXT record (§3.1):
 * the id is taken from the policy's own bytes, so it changes exactly when the policy does.
 */
public record MtaStsPublication(String policy, String id) {

    public static MtaStsPublication of(MtaSts config, String hostname) {
        List<String> mx = config.mx().isEmpty() ? List.of(hostname) : config.mx();
        StringBuilder p = new StringBuilder("version: STSv1\r\nmode: ").append(config.mode()).append("\r\n");
        for (String m : mx) {
            p.append("mx: ").append(m).append("\r\n");
        }
        p.append("max_age: ").append(config.maxAge().getSeconds()).append("\r\n");
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(p.toString().getBytes(StandardCharsets.US_ASCII));
            return new MtaStsPublication(p.toString(), HexFormat.of().formatHex(h, 0, 10));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The TXT record's value. */
    public String txt() {
        return "v=STSv1; id=" + id;
    }
}
