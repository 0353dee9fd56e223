package org.mailseal.relay;

import org.mailseal.smtp.SmtpReply;

/**
 * What happened to one recipient at the next hop: the reply to give for it (2xx accepted, 4xx try
 * again, 5xx final) and the relay as Postfix logs it, {@code host[addr]:port} or {@code none}.
 */
public record RelayResult(SmtpReply reply, String relay) {
}
