package org.mailseal.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailseal.mail.Address;
import org.mailseal.mail.Direction;
import org.mailseal.mail.MailFrom;
import org.mailseal.mail.MailItem;
import org.mailseal.mail.RcptTo;
import org.mailseal.mail.Recipient;
import org.mailseal.mail.SessionInfo;
import org.mailseal.mail.XForward;
import org.mailseal.smtp.SmtpReply;

/** The runner's contract: every recipient gets exactly one final outcome, and failures fail closed. */
class PipelineTest {

    static MailItem item(String... rcpts) {
        List<Recipient> rs = new java.util.ArrayList<>();
        for (int i = 0; i < rcpts.length; i++) {
            rs.add(new Recipient(RcptTo.of(Address.parse(rcpts[i])), Direction.INBOUND, i));
        }
        SessionInfo s = new SessionInfo(InetAddress.getLoopbackAddress(), "unknown", "h", true, false, null, null, XForward.EMPTY);
        return new MailItem("Q1", s, MailFrom.of(Address.parse("a@b.test")), rs, Path.of("/dev/null"), Instant.now());
    }

    static Stage stage(String name, java.util.function.Function<MailItem, Routing> f) {
        return new Stage() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Routing apply(MailItem item) {
                return f.apply(item);
            }
        };
    }

    static Pipeline pipeline(Stage... stages) {
        return new Pipeline(java.util.Arrays.stream(stages).map(Pipeline.Step::both).toList());
    }

    static final Stage DELIVER = stage("deliver", i -> Routing.all(i, Outcome.delivered(SmtpReply.OK, "sink")));

    @Test
    void recipientsSplitIntoGroupsEachGetTheirOutcome() {
        Stage split = stage("split", i -> {
            Routing r = new Routing();
            for (Recipient rc : i.recipients()) {
                MailItem one = i.withRecipients(List.of(rc));
                if (rc.address().localPart().equals("bad")) {
                    r.reject(one, SmtpReply.of(550, "5.1.1", "no"));
                } else if (rc.address().localPart().equals("later")) {
                    r.defer(one, SmtpReply.of(450, "4.2.0", "later"));
                } else {
                    r.proceedWith(one);
                }
            }
            return r;
        });
        List<RecipientResult> res = pipeline(split, DELIVER).run(item("ok@x.test", "bad@x.test", "later@x.test"));
        assertThat(res).extracting(r -> r.outcome().kind())
                .containsExactly(Outcome.Kind.DELIVERED, Outcome.Kind.REJECT, Outcome.Kind.DEFER);
    }

    @Test
    void aStageThatThrowsDefersItsRecipients() {
        Stage boom = stage("boom", i -> {
            throw new IllegalStateException("bug");
        });
        List<RecipientResult> res = pipeline(boom, DELIVER).run(item("a@x.test", "b@x.test"));
        assertThat(res).allSatisfy(r -> {
            assertThat(r.outcome().kind()).isEqualTo(Outcome.Kind.DEFER);
            assertThat(r.outcome().reply().code()).isEqualTo(451);
        });
    }

    @Test
    void aStageThatLosesARecipientIsCaught() {
        Stage lossy = stage("lossy", i -> Routing.proceed(i.withRecipients(i.recipients().subList(0, 1))));
        List<RecipientResult> res = pipeline(lossy, DELIVER).run(item("a@x.test", "b@x.test"));
        assertThat(res).extracting(r -> r.outcome().kind()).containsOnly(Outcome.Kind.DEFER);
    }

    @Test
    void aStageThatDuplicatesARecipientIsCaught() {
        Stage dup = stage("dup", i -> new Routing().proceedWith(i).proceedWith(i));
        List<RecipientResult> res = pipeline(dup, DELIVER).run(item("a@x.test"));
        assertThat(res).extracting(r -> r.outcome().kind()).containsOnly(Outcome.Kind.DEFER);
    }

    @Test
    void fallingOffTheEndIsADeferralNotADelivery() {
        List<RecipientResult> res = pipeline(stage("noop", Routing::proceed)).run(item("a@x.test"));
        assertThat(res.get(0).outcome().kind()).isEqualTo(Outcome.Kind.DEFER);
    }

    @Test
    void eachLaneSeesOnlyItsOwnRecipientsAndMixedMessagesAreSplit() {
        List<Recipient> rs = List.of(new Recipient(RcptTo.of(Address.parse("in1@x.test")), Direction.INBOUND, 0),
                new Recipient(RcptTo.of(Address.parse("out@y.test")), Direction.OUTBOUND, 1),
                new Recipient(RcptTo.of(Address.parse("in2@x.test")), Direction.INBOUND, 2));
        MailItem mixed = item("a@x.test").withRecipients(rs);
        List<String> seenByOutbound = new java.util.ArrayList<>();
        List<String> seenByInbound = new java.util.ArrayList<>();
        Stage outboundOnly = stage("outbound-only", i -> {
            i.recipients().forEach(r -> seenByOutbound.add(r.address().toString()));
            return Routing.proceed(i);
        });
        Stage inboundOnly = stage("inbound-only", i -> {
            i.recipients().forEach(r -> seenByInbound.add(r.address().toString()));
            return Routing.proceed(i);
        });
        Pipeline p = new Pipeline(List.of(new Pipeline.Step(outboundOnly, java.util.EnumSet.of(Direction.OUTBOUND)),
                new Pipeline.Step(inboundOnly, java.util.EnumSet.of(Direction.INBOUND)), Pipeline.Step.both(DELIVER)));
        List<RecipientResult> res = p.run(mixed);
        assertThat(seenByOutbound).containsExactly("out@y.test");
        assertThat(seenByInbound).containsExactly("in1@x.test", "in2@x.test");
        assertThat(res).extracting(r -> r.recipient().address().toString()).containsExactly("in1@x.test", "out@y.test", "in2@x.test");
        assertThat(res).extracting(r -> r.outcome().kind()).containsOnly(Outcome.Kind.DELIVERED);
    }

    @Test
    void aStageThatMovesARecipientIntoAnotherLaneIsDeferred() {
        Stage turncoat = stage("turncoat", i -> Routing.proceed(i.withRecipients(i.recipients().stream()
                .map(r -> new Recipient(r.rcpt(), Direction.OUTBOUND, r.index())).toList())));
        List<RecipientResult> res = pipeline(turncoat, DELIVER).run(item("a@x.test"));
        assertThat(res.get(0).outcome().kind()).isEqualTo(Outcome.Kind.DEFER);
    }

    @Test
    void outcomesCheckTheirReplyClass() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Outcome.reject(SmtpReply.of(451, "4.0.0", "x")))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Outcome.defer(SmtpReply.of(550, "5.0.0", "x")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
