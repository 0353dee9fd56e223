package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an item through a fixed list of steps, each a stage and the directions (lanes) it serves, as
 * {@link MailFlow} declares them. The runner first splits the recipients by direction; each group then
 * passes only the steps of its lane. Groups that a stage continues go to the next step; final outcomes
 * are collected per recipient. The runner enforces the contract: every recipient ends with exactly one
 * final outcome, and a stage that throws, loses or duplicates recipients, or a group that falls off the
 * end without a final outcome, is deferred (4xx), never passed on.
 */
public final class Pipeline {

    private static final Logger log = LoggerFactory.getLogger("pipeline");
    static final SmtpReply INTERNAL = SmtpReply.of(451, "4.3.0", "Error: internal error, try again later");

    /** A stage and the directions whose mail it handles. */
    public record Step(Stage stage, Set<Direction> serves) {
        public Step {
            serves = Set.copyOf(serves);
            if (serves.isEmpty()) {
                throw new IllegalArgumentException("a step serves at least one direction: " + stage.name());
            }
        }

        public static Step both(Stage stage) {
            return new Step(stage, java.util.EnumSet.allOf(Direction.class));
        }
    }

    private final List<Step> steps;

    public Pipeline(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** The steps in order (what MailFlow declared), for the README and tests. */
    public List<Step> steps() {
        return steps;
    }

    /** Returns one result per recipient of {@code item}, in envelope order. */
    public List<RecipientResult> run(MailItem item) {
        Map<Recipient, Outcome> results = new LinkedHashMap<>();
        Map<Recipient, MailItem> finalItems = new java.util.HashMap<>();
        item.recipients().forEach(r -> results.put(r, null));
        for (Direction d : Direction.values()) {
            List<Recipient> lane = item.recipients().stream().filter(r -> r.direction() == d).toList();
            if (!lane.isEmpty()) {
                run(item.withRecipients(lane), d, 0, results, finalItems);
            }
        }
        List<RecipientResult> out = new ArrayList<>();
        results.forEach((r, o) -> out.add(new RecipientResult(r, o != null ? o : Outcome.defer(INTERNAL), finalItems.get(r))));
        return out;
    }

    private void run(MailItem item, Direction lane, int index, Map<Recipient, Outcome> results, Map<Recipient, MailItem> finalItems) {
        while (index < steps.size() && !steps.get(index).serves().contains(lane)) {
            index++;
        }
        if (index >= steps.size()) {
            log.error("{}: no stage gave a final outcome for {}; deferring", item.queueId(), item.recipients());
            settle(item, Outcome.defer(INTERNAL), results, finalItems);
            return;
        }
        Stage stage = steps.get(index).stage();
        Routing routing;
        try {
            routing = stage.apply(item);
        } catch (Exception | LinkageError | AssertionError e) {
            log.error("{}: stage {} failed; deferring {}", item.queueId(), stage.name(), item.recipients(), e);
            settle(item, Outcome.defer(INTERNAL), results, finalItems);
            return;
        }
        if (!coversExactly(item, routing)) {
            log.error("{}: stage {} returned groups that do not match its recipients; deferring", item.queueId(), stage.name());
            settle(item, Outcome.defer(INTERNAL), results, finalItems);
            return;
        }
        for (Routing.Group g : routing.groups()) {
            if (g.outcome().isFinal()) {
                settle(g.item(), g.outcome(), results, finalItems);
            } else if (g.item().recipients().stream().anyMatch(r -> r.direction() != lane)) {
                log.error("{}: stage {} moved recipients into another lane; deferring", item.queueId(), stage.name());
                settle(g.item(), Outcome.defer(INTERNAL), results, finalItems);
            } else {
                run(g.item(), lane, index + 1, results, finalItems);
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

    private static void settle(MailItem item, Outcome o, Map<Recipient, Outcome> results, Map<Recipient, MailItem> finalItems) {
        for (Recipient r : item.recipients()) {
            results.put(r, o);
            finalItems.put(r, item);
        }
    }
}
