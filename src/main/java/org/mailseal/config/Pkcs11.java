package org.mailseal.config;

import java.nio.file.Path;

/**
 * A PKCS#11 token (JDK SunPKCS11) that holds the relay keys: {@code library} (e.g.
 * /usr/lib/softhsm/libsofthsm2.so), the token's {@code slot} id or its {@code slotListIndex}
 * (default 0), and {@code pinFile} with the user PIN.
 */
public record Pkcs11(Path library, Long slot, Integer slotListIndex, Path pinFile) {
    public Pkcs11 {
        if (library == null) {
            throw new IllegalArgumentException("library is required");
        }
        if (pinFile == null) {
            throw new IllegalArgumentException("pinFile is required");
        }
        slotListIndex = slotListIndex != null ? slotListIndex : 0;
    }
}
