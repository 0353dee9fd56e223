package org.mailseal.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Instant;

/** The Logback appender (in logback.xml) that feeds {@link MailLogTap}. */
public final class MailLogAppender extends AppenderBase<ILoggingEvent> {

    @Override
    protected void append(ILoggingEvent event) {
        MailLogTap.offer(Instant.ofEpochMilli(event.getTimeStamp()), event.getFormattedMessage());
    }
}
