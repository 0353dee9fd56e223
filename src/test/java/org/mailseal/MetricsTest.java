package org.mailseal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

class MetricsTest {

    @TempDir
    Path dir;

    @Test
    void prometheusEndpointCountsMessages() throws Exception {
        int port = TestGateway.freePort();
        int metrics = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir, port, 0, sink.port(), "metrics: {listen: \"127.0.0.1:" + metrics + "\"}"))) {
            try (SmtpClient c = new SmtpClient(port)) {
                c.expect("220");
                c.send("EHLO x.test");
                c.expect("250");
                assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), "Subject: m\r\n\r\nx\r\n")).startsWith("250");
                sink.mode(CapturingSink.Mode.DATA_451);
                assertThat(c.sendMail("a@internet.test", List.of("u@example.com"), "Subject: m\r\n\r\nx\r\n")).startsWith("451");
                c.send("MAIL FROM:<a@internet.test>");
                c.expect("250");
                c.send("RCPT TO:<x@elsewhere.test>");
                c.expect("554");
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body())
                    .contains("mailseal_messages_received_total 2.0")
                    .contains("mailseal_recipients_relayed_total 1.0")
                    .contains("mailseal_recipients_deferred_total 1.0")
                    .contains("mailseal_recipients_rejected_total 1.0")
                    .contains("mailseal_delivery_latency_seconds_bucket")
                    .contains("mailseal_transactions_inflight 0.0")
                    .contains("mailseal_sessions_active{listener=\"smtp\"}");
        }
    }
}
