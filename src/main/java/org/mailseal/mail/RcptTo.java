package org.mailseal.mail;

import java.util.Set;

/**
 * A RCPT command with its DSN parameters (RFC 3461 §4.1-4.2). {@code notifyOn} is empty when absent;
 * ORCPT is kept as sent ({@code addr-type;xtext}).
 */
public record RcptTo(Address recipient, Set<Notify> notifyOn, String orcpt) {

    public enum Notify { NEVER, SUCCESS, FAILURE, DELAY }

    public RcptTo {
        notifyOn = Set.copyOf(notifyOn);
    }

    public static RcptTo of(Address recipient) {
        return new RcptTo(recipient, Set.of(), null);
    }
}
