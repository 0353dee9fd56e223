package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an item through a fixed list of stages. Groups that a stage continues go to the next stage;
 * final outcomes are collected per recipient. The runner enforces the contract: every recipient ends
 * with exactly one final outcome, and a stage that throws, loses or duplicates recipients, or a group
 * that falls off the end without a final outcome, is deferred (4xx), never passed on.
 */
public final class Pipeline {

    private static final Logger log = LoggerFactory.getLogger("pipeline");
    static final SmtpReply INTERNAL = SmtpReply.of(451, "4.3.0", "Error: internal error, try again later");

    private final List<Stage> stages;

    public Pipeline(List<Stage> stages) {
        this.stages = List.copyOf(stages);
    }

    /** Returns one result per recipient of {@code item}, in envelope order. */
    public List<RecipientResult> run(MailItem item) {
        Map<Recipient, Outcome> results = new LinkedHashMap<>();
        item.recipients().forEach(r -> results.put(r, null));
        run(item, 0, results);
        List<RecipientResult> out = new ArrayList<>();
        results.forEach((r, o) -> out.add(new RecipientResult(r, o != null ? o : Outcome.defer(INTERNAL))));
        return out;
    }

    private void run(MailItem item, int index, Map<Recipient, Outcome> results) {
        if (index >= stages.size()) {
            log.error("{}: no stage gave a final outcome for {}; deferring", item.queueId(), item.recipients());
            settle(item, Outcome.defer(INTERNAL), results);
            return;
        }
        Stage stage = stages.get(index);
        Routing routing;
        try {
            routing = stage.apply(item);
        } catch (Exception | LinkageError | AssertionError e) {
            log.error("{}: stage {} failed; deferring {}", item.queueId(), stage.name(), item.recipients(), e);
            settle(item, Outcome.defer(INTERNAL), results);
            return;
        }
        if (!coversExactly(item, routing)) {
            log.error("{}: stage {} returned groups that do not match its recipients; deferring", item.queueId(), stage.name());
            settle(item, Outcome.defer(INTERNAL), results);
            return;
        }
        for (Routing.Group g : routing.groups()) {
            if (g.outcome().isFinal()) {
                settle(g.item(), g.outcome(), results);
            } else {
                run(g.item(), index + 1, results);
            }
        }
    }

    private static boolean coversExactly(MailItem in, Routing routing) {
        Set<Recipient> seen = new HashSet<>();
        for (Routing.Group g : routing.groups()) {
            for (Recipient r : g.item().recipients()) {
                if (!seen.add(r)) {
                    return false;
                }
            }
        }
        return seen.equals(new HashSet<>(in.recipients()));
    }

    private static void settle(MailItem item, Outcome o, Map<Recipient, Outcome> results) {
        for (Recipient r : item.recipients()) {
            results.put(r, o);
        }
    }
}
