package org.mailseal.scan;

import java.nio.file.Path;
import java.util.List;

/** A content scanner. Implementations never return CLEAN for a message they did not fully scan. */
public interface Scanner extends AutoCloseable {

    /** What the scanner may be told about the message (rspamd uses it). */
    record Request(String queueId, String from, List<String> recipients, String clientIp, String helo) {
    }

    String name();

    Verdict scan(Request request, Path message) throws Exception;

    @Override
    default void close() {
    }
}
