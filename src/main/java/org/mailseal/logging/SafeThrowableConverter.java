package org.mailseal.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %safeex}: a stack trace whose exception messages cannot carry raw control
 * characters. Line feeds stay (a trace has one frame per line) but every line after the first is
 * indented by the trace format itself, so a CR, ESC or other control in a message is escaped and a
 * line feed inside a message is followed by a tab: no forged line starts at column 0.
 */
public final class SafeThrowableConverter extends ThrowableProxyConverter {

    @Override
    public String convert(ILoggingEvent event) {
        String trace = super.convert(event);
        if (trace.isEmpty()) {
            return trace;
        }
        StringBuilder sb = new StringBuilder(trace.length() + 16);
        String[] lines = trace.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String safe = LogSafe.text(l).replace("\\\\", "\\").replace("\\t", "\t");
            if (i > 0) {
                sb.append('\n');
                if (!safe.isEmpty() && safe.charAt(0) != '\t' && !safe.startsWith("Caused by: ") && !safe.startsWith("Suppressed: ")) {
                    sb.append('\t');
                }
            }
            sb.append(safe);
        }
        return sb.toString();
    }
}
