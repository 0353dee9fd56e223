package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.mailseal.mail.MailItem;
import org.mailseal.smtp.SmtpReply;

/**
 * A stage's answer: the item's recipients split into groups, each with an outcome (as an Apache James
 * matcher splits a mail). Every recipient of the input must be in exactly one group; the
 * {@link Pipeline} checks that.
 */
public final class Routing {

    /** One group: the item (with that group's recipients, maybe transformed content) and its outcome. */
    public record Group(MailItem item, Outcome outcome) {
    }

    private final List<Group> groups = new ArrayList<>();

    public List<Group> groups() {
        return List.copyOf(groups);
    }

    /** All recipients go on to the next stage, with {@code item} (possibly transformed). */
    public static Routing proceed(MailItem item) {
        return new Routing().add(item, Outcome.CONTINUE);
    }

    public static Routing all(MailItem item, Outcome outcome) {
        return new Routing().add(item, outcome);
    }

    public Routing add(MailItem item, Outcome outcome) {
        groups.add(new Group(item, outcome));
        return this;
    }

    public Routing proceedWith(MailItem item) {
        return add(item, Outcome.CONTINUE);
    }

    public Routing reject(MailItem item, SmtpReply reply) {
        return add(item, Outcome.reject(reply));
    }

    public Routing defer(MailItem item, SmtpReply reply) {
        return add(item, Outcome.defer(reply));
    }
}
