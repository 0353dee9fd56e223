package org.mailseal.config;

/**
 * What verdicts do. {@code virus}: reject | quarantine. {@code spam}: tag | quarantine | reject;
 * {@code rejectScore}: reject at or above this score whatever {@code spam} says; {@code subjectTag}:
 * put in front of the Subject of tagged spam; {@code onFailure}: tempfail | deliver (a scanner down,
 * too slow, or the message over its size limit: never "clean").
 */
public record ScanActions(VirusAction virus, SpamAction spam, Double rejectScore, String subjectTag, FailureAction onFailure) {
    static final ScanActions DEFAULT = new ScanActions(VirusAction.REJECT, SpamAction.TAG, null, null, FailureAction.TEMPFAIL);

    public ScanActions {
        if (subjectTag != null && (subjectTag.contains("\r") || subjectTag.contains("\n"))) {
            throw new IllegalArgumentException("subjectTag must be one line");
        }
    }

    /** {@code scan.actions.virus}: what a virus verdict does. */
    public enum VirusAction {
        REJECT, QUARANTINE;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static VirusAction parse(String s) {
            return Checks.choice(VirusAction.class, "virus", s);
        }
    }

    /** {@code scan.actions.spam}: what a spam verdict does. */
    public enum SpamAction {
        TAG, QUARANTINE, REJECT;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static SpamAction parse(String s) {
            return Checks.choice(SpamAction.class, "spam", s);
        }
    }

    /** {@code scan.actions.onFailure}: a message that could not be scanned is deferred, or delivered marked. */
    public enum FailureAction {
        TEMPFAIL, DELIVER;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static FailureAction parse(String s) {
            return Checks.choice(FailureAction.class, "onFailure", s);
        }
    }

    static ScanActions merge(ScanActions over, ScanActions base) {
        if (over == null) {
            return base;
        }
        return new ScanActions(over.virus != null ? over.virus : base.virus, over.spam != null ? over.spam : base.spam,
                over.rejectScore != null ? over.rejectScore : base.rejectScore, over.subjectTag != null ? over.subjectTag : base.subjectTag,
                over.onFailure != null ? over.onFailure : base.onFailure);
    }
}
