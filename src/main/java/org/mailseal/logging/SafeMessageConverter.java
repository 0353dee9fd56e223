package org.mailseal.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %safemsg}: the formatted message with every control character escaped
 * ({@link LogSafe}), so that no client-supplied string (an address, a HELO name, a user name, an
 * XFORWARD value, a header) can break a log line or forge another, wherever it is logged.
 */
public final class SafeMessageConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return LogSafe.text(event.getFormattedMessage());
    }
}
