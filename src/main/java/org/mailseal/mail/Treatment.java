package org.mailseal.mail;

/**
 * What the policy decided for a group of recipients, carried by the {@link MailItem}; the transform
 * stages act on it. The kinds that need no key are here; the encrypting ones, which name keys and
 * certificates, are defined by the policy package, which owns the decision.
 */
public interface Treatment {

    /** No decision yet (before the policy stage), or nothing to do. */
    record None() implements Treatment {
    }

    /** Deliver as it is; {@code reason} says why, for the log. */
    record Pass(String reason) implements Treatment {
    }

    /** The message is already encrypted (end to end): it passes untouched, neither signed nor encrypted again. */
    record AlreadyEncrypted(String kind) implements Treatment {
    }

    /**
     * Done: the gateway changed the message as decided ({@code how}: encrypted, PDF); what it has now is the
     * form that leaves. Stages after the transform (the ARC seal) know from this that it was changed.
     */
    record Transformed(String how) implements Treatment {
    }

    None NONE = new None();
}
