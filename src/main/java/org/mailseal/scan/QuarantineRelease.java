package org.mailseal.scan;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.mailseal.config.HostPort;
import org.mailseal.config.NextHop;
import org.mailseal.config.TlsPolicy;
import org.mailseal.mail.Address;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.SessionInfo;
import org.mailseal.mail.XForward;
import org.mailseal.relay.Deadline;
import org.mailseal.relay.RelayClient;
import org.mailseal.relay.RelayResult;

/**
 * Releases a quarantined message: sends it again, with its original envelope, through the gateway's own
 * SMTP listener (with the gateway's relay client), so it takes the normal path and is encrypted as
 * usual. The entry is marked as releasing first, so that the scan stage lets this one message through;
 * it is deleted once the gateway answered 250 for every recipient.
 */
public final class QuarantineRelease {

    private QuarantineRelease() {
    }

    /** Returns the gateway's reply. Throws (and keeps the entry) if any recipient was refused. */
    public static String release(Quarantine q, Quarantine.Entry e, RelayClient client, HostPort gateway, Path tmpDir) throws Exception {
        Path copy = Files.createTempFile(tmpDir, "release-", ".eml");
        try {
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(copy), 65536)) {
                o.write((Quarantine.RELEASED_FIELD + ": " + e.id() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                q.open(e, o);
            }
            q.markReleasing(e.id());
            MailFrom from = MailFrom.of(e.from() == null || e.from().isEmpty() ? Address.NULL_SENDER : Address.parse(e.from()));
            List<RcptTo> rcpts = e.recipients().stream().map(r -> RcptTo.of(Address.parse(r))).toList();
            SessionInfo local = new SessionInfo(InetAddress.getLoopbackAddress(), "localhost", "localhost", true, false, null, null,
                    XForward.EMPTY);
            NextHop self = NextHop.parse("[" + gateway.host() + "]:" + gateway.port());
            List<RelayResult> results = client.deliver(new RelayClient.Message(e.queueId(), local, from, rcpts, copy), self,
                    TlsPolicy.NONE, Deadline.in(Duration.ofMinutes(10)));
            List<RelayResult> refused = results.stream().filter(r -> !r.reply().isPositive()).toList();
            if (!refused.isEmpty()) {
                throw new IOException("the gateway answered: " + refused.stream().map(r -> r.reply().oneLine()).distinct()
                        .collect(Collectors.joining("; ")));
            }
            q.delete(e.id());
            return results.get(0).reply().oneLine();
        } catch (Exception failed) {
            q.unmarkReleasing(e.id()); // the entry stays; its pass through the scan is withdrawn
            throw failed;
        } finally {
            Files.deleteIfExists(copy);
        }
    }
}
