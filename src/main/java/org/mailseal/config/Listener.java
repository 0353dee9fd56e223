package org.mailseal.config;

/** One inbound listener (SMTP or LMTP). */
public record Listener(Boolean enabled, HostPort listen) {
    static Listener withDefaults(Listener l, boolean enabled, HostPort listen) {
        if (l == null) {
            return new Listener(enabled, listen);
        }
        return new Listener(l.enabled != null ? l.enabled : enabled, l.listen != null ? l.listen : listen);
    }
}
