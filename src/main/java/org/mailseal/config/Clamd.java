package org.mailseal.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.nio.file.Path;
import java.time.Duration;

/** clamd by TCP ({@code address}) or Unix socket ({@code socket}); messages over {@code maxStreamSize} are not sent (clamd's StreamMaxLength). */
public record Clamd(HostPort address, Path socket, @JsonDeserialize(using = ConfigDeserializers.SizeDeserializer.class) Long maxStreamSize,
                    Duration timeout) {
    public Clamd {
        if ((address == null) == (socket == null)) {
            throw new IllegalArgumentException("give either address (host:port) or socket (path)");
        }
        maxStreamSize = maxStreamSize != null ? maxStreamSize : 25L * 1024 * 1024;
        timeout = timeout != null ? timeout : Duration.ofSeconds(30);
    }
}
