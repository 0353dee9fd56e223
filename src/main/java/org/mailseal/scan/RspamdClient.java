package org.mailseal.scan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.mailseal.config.Rspamd;

/**
 * rspamd client: {@code POST /checkv2} with the envelope in headers (From, Rcpt, IP, Helo, Queue-Id).
 * The JSON's {@code action} is kept as rspamd said it: {@code reject}, {@code soft reject},
 * {@code rewrite subject}, {@code add header} make the message spam; {@code no action} and
 * {@code greylist} do not.
 */
public final class RspamdClient implements Scanner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Rspamd config;
    private final HttpClient http;

    public RspamdClient(Rspamd config) {
        this.config = config;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.timeout()).build(); // rspamd speaks HTTP/1.1 (no h2c upgrade)
    }

    @Override
    public String name() {
        return "rspamd";
    }

    @Override
    public Verdict scan(Request r, Path message) throws Exception {
        long start = System.nanoTime();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.url().toString().replaceAll("/+$", "") + "/checkv2"))
                .timeout(config.timeout()).POST(HttpRequest.BodyPublishers.ofFile(message)).header("Queue-Id", r.queueId());
        if (r.from() != null) {
            b.header("From", r.from());
        }
        for (String rcpt : r.recipients()) {
            b.header("Rcpt", rcpt);
        }
        if (r.clientIp() != null) {
            b.header("IP", r.clientIp());
        }
        if (r.helo() != null) {
            b.header("Helo", r.helo());
        }
        HttpResponse<String> resp;
        try {
            resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            return Verdict.failed(name(), "rspamd at " + config.url() + ": " + e, since(start));
        }
        if (resp.statusCode() != 200) {
            return Verdict.failed(name(), "rspamd answered HTTP " + resp.statusCode(), since(start));
        }
        JsonNode j = JSON.readTree(resp.body());
        if (!j.hasNonNull("action")) {
            return Verdict.failed(name(), "rspamd reply without an action", since(start));
        }
        String action = j.get("action").asText();
        List<String> symbols = new ArrayList<>();
        if (j.has("symbols")) {
            for (Iterator<String> it = j.get("symbols").fieldNames(); it.hasNext(); ) {
                symbols.add(it.next());
            }
        }
        boolean spam = List.of("reject", "soft reject", "rewrite subject", "add header").contains(action);
        return new Verdict(name(), spam ? Verdict.Kind.SPAM : Verdict.Kind.CLEAN, null, j.path("score").asDouble(),
                j.path("required_score").asDouble(), symbols, action, since(start));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
