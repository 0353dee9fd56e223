package org.mailseal.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Order;
import org.mailseal.config.ConfigException;
import org.mailseal.config.ConfigLoader;

/** The config loader: a config or a one-line ConfigException, never another exception. */
@Order(Integer.MAX_VALUE - 1)
class ConfigFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void yaml(byte[] data) {
        try {
            ConfigLoader.parse("fuzz.yml", new String(data, StandardCharsets.UTF_8));
        } catch (ConfigException expected) {
            // named the key or line
        }
    }
}
