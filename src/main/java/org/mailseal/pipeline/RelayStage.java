package org.mailseal.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailseal.config.TlsPolicy;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.Recipient;
import org.mailseal.relay.Deadline;
import org.mailseal.relay.RelayClient;
import org.mailseal.relay.RelayResult;
import org.mailseal.relay.RouteTable;
import org.mailseal.smtp.SmtpReply;

/**
 * The last stage: splits recipients by route and hands each group to the next hop. Every recipient
 * gets a final outcome: delivered (the next hop said 2xx), deferred (4xx or no answer) or rejected (5xx).
 */
public final class RelayStage implements Stage {

    private final NextHop client;
    private final RouteTable routes;
    private final java.time.Duration deadline;
    private final SentCopies sentCopies;

    /** Where a delivered message's Sent copy goes (the durable IMAP queue). */
    public interface SentCopies {
        void delivered(MailItem item) throws java.io.IOException;

        /**
         * Queues {@code item}'s Sent copy, if it has one. The mail itself is on its way: a failure loses only
         * the copy, is logged, and is never a reason to resend.
         */
        default void queue(MailItem item) {
            if (item.sentCopy() == null) {
                return;
            }
            try {
                delivered(item);
            } catch (java.io.IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger("sentcopy").error("{}: Sent copy not queued: {}", item.queueId(), e.toString());
            }
        }
    }

    /** Hands one group to its next hop: one result per recipient, in order; {@link RelayClient} in the gateway. */
    public interface NextHop {
        List<RelayResult> deliver(RelayClient.Message msg, org.mailseal.config.NextHop hop, TlsPolicy tls, Deadline deadline);
    }

    public RelayStage(NextHop client, RouteTable routes, java.time.Duration deadline, SentCopies sentCopies) {
        this.client = client;
        this.routes = routes;
        this.deadline = deadline;
        this.sentCopies = sentCopies;
    }

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public Routing apply(MailItem item) {
        Deadline d = Deadline.in(deadline.minus(java.time.Duration.between(item.received(), java.time.Instant.now())));
        Map<RouteTable.Route, List<Recipient>> byRoute = new LinkedHashMap<>();
        for (Recipient r : item.recipients()) {
            byRoute.computeIfAbsent(routes.routeFor(r.address().domainLower()), k -> new ArrayList<>()).add(r);
        }
        Routing routing = new Routing();
        for (Map.Entry<RouteTable.Route, List<Recipient>> e : byRoute.entrySet()) {
            List<Recipient> group = e.getValue();
            RelayClient.Message msg = new RelayClient.Message(item.queueId(), item.session(), item.from(),
                    group.stream().map(Recipient::rcpt).toList(), item.content());
            List<RelayResult> results = client.deliver(msg, e.getKey().hop(), e.getKey().tls(), d);
            boolean anyDelivered = false;
            for (int i = 0; i < group.size(); i++) {
                RelayResult res = results.get(i);
                anyDelivered |= res.reply().isPositive();
                routing.add(item.withRecipients(List.of(group.get(i))), outcome(res.reply(), res.relay()));
            }
            if (anyDelivered) {
                sentCopies.queue(item);
            }
        }
        return routing;
    }

    private static Outcome outcome(SmtpReply reply, String relay) {
        if (reply.isPositive()) {
            return Outcome.delivered(reply, relay);
        }
        Outcome o = reply.isTransient() ? Outcome.defer(reply) : Outcome.reject(reply);
        return new Outcome(o.kind(), reply, relay);
    }
}
