package org.mailseal.pipeline;

import org.mailseal.mail.MailItem;
import org.mailseal.scan.Quarantine;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;

/** Putting a group of recipients' message into quarantine, for the stages that decide to (scan, authentication). */
final class Holds {

    private Holds() {
    }

    /**
     * Quarantines {@code group} for {@code reason}; {@code quarantine} null (no master key, so nothing can
     * be sealed at rest) defers with 451 instead, never delivers.
     */
    static Outcome hold(Quarantine quarantine, MailItem group, String reason, Logger log) throws Exception {
        if (quarantine == null) {
            log.error("{}: {} should be quarantined ({}), but quarantine needs the master passphrase; deferring", group.queueId(),
                    group.recipients(), reason);
            return Outcome.defer(SmtpReply.of(451, "4.3.0", "Error: cannot quarantine; try again later"));
        }
        String id = quarantine.put(group.queueId(), group.from().sender().toString(),
                group.recipients().stream().map(r -> r.address().toString()).toList(), reason, group.content());
        log.info("{}: {}: quarantined as {}: {}", group.queueId(), group.recipients(), id, reason);
        return Outcome.quarantine(reason);
    }
}
