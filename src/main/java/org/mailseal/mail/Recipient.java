package org.mailseal.mail;

/**
 * One envelope recipient, with its DSN parameters and the direction decided at RCPT time. {@code index}
 * is its position in the envelope, which keeps a recipient given twice distinct (LMTP answers each).
 */
public record Recipient(RcptTo rcpt, Direction direction, int index) {
    public Address address() {
        return rcpt.recipient();
    }

    @Override
    public String toString() {
        return "<" + rcpt.recipient() + ">";
    }
}
