package org.mailseal.policy;

/** Where the password of a recipient's PDF comes from, in the order the policy tries them. */
public enum PdfPassword {
    /** The recipient's own password, set once with {@code mailseal pdf password} and told to the recipient. */
    RECIPIENT,
    /** Derived from the recipient's secret and the message's reference: each PDF its own; the sender or admin derives it on request. */
    DERIVED,
    /** New for this PDF and sent to the sender in a notification of its own. */
    GENERATED
}
