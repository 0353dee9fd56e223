package org.mailseal.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.time.Duration;

/** spamd (SPAMC/1.5 protocol); {@code user} is sent as User:. */
public record Spamd(HostPort address, String user, @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxSize,
                    Duration timeout) {
    public Spamd {
        if (address == null) {
            throw new IllegalArgumentException("address is required");
        }
        maxSize = maxSize != null ? maxSize : 10L * 1024 * 1024;
        timeout = timeout != null ? timeout : Duration.ofSeconds(30);
    }
}
