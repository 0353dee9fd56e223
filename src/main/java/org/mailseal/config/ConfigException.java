package org.mailseal.config;

/** A configuration problem; the message is one line that names the key or line. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
