package org.mailseal.pipeline;

/** The final outcome for one recipient, after the whole pipeline. */
public record RecipientResult(Recipient recipient, Outcome outcome) {
}
