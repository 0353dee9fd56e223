package org.mailseal.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailseal.Gateway;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cleanup;
import org.mailseal.testkit.Cli;
import org.mailseal.testkit.Gpg;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.TestCa;
import org.mailseal.testkit.TestGateway;

/**
 * The REST API: its operations and the OpenAPI document agree both ways and every operation answers; a
 * token made with the CLI adds and deletes users and imports and deletes keys (each change audited under the
 * token's name); no token or a wrong one gets 401; a token revoked while in use is refused at its next request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsPeers({"gpg=gnupg", "openssl=openssl"})
class ApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    Path dir;
    Path cfg;
    CapturingSink sink;
    Gateway gw;
    String base;
    HttpClient http;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("gpg", "gnupg");
        Peers.require("openssl", "openssl");
        dir = Files.createTempDirectory("api");
        TestCa tls = TestCa.make(dir.resolve("ca"), "localhost");
        sink = new CapturingSink();
        cfg = dir.resolve("mailseal.yml");
        Files.writeString(cfg, TestGateway.yaml(dir.resolve("data"), TestGateway.freePort(), 0, sink.port(),
                "web: {enabled: true, listen: \"127.0.0.1:" + TestGateway.freePort() + "\", certificate: \"" + tls.certificate() + "\", privateKey: \""
                        + tls.pkcs8Key() + "\"}"));
        gw = TestGateway.start(Files.readString(cfg));
        base = "https://localhost:" + gw.web().port();
        http = HttpClient.newBuilder().sslContext(org.mailseal.testkit.TrustAll.context()).build();
    }

    @AfterAll
    void tearDown() throws Exception {
        Cleanup.all(dir, gw, sink);
    }

    HttpResponse<String> call(String method, String path, String token, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDocumentAndTheRoutesAgreeAndEveryOperationAnswers() throws Exception {
        HttpResponse<String> doc = call("GET", "/api/v1/openapi.json", null, null, null);
        assertThat(doc.statusCode()).isEqualTo(200);
        JsonNode paths = JSON.readTree(doc.body()).get("paths");
        Set<String> documented = new HashSet<>();
        for (Iterator<String> p = paths.fieldNames(); p.hasNext(); ) {
            String path = p.next();
            for (Iterator<String> m = paths.get(path).fieldNames(); m.hasNext(); ) {
                documented.add(m.next().toUpperCase(Locale.ROOT) + " " + path);
            }
        }
        Set<String> routed = new HashSet<>();
        Api.ROUTES.forEach(r -> routed.add(r.method() + " " + r.path()));
        assertThat(routed).isEqualTo(documented);
        // each one is there: without a token it answers 401 (JSON), never the router's 404
        for (Api.Route r : Api.ROUTES) {
            HttpResponse<String> res = call(r.method(), r.path().replace("{username}", "nobody@example.com").replace("{fingerprint}", "00"), null,
                    "application/json", r.method().equals("GET") ? null : "{}");
            assertThat(res.statusCode()).as(r.toString()).isEqualTo(401);
            assertThat(JSON.readTree(res.body()).get("error").asText()).as(r.toString()).contains("authentication required");
        }
    }

    @Test
    void aTokenManagesUsersAndKeysUntilItIsRevoked() throws Exception {
        Cli.Run made = Cli.run("api-token", "create", "--name", "provisioning", "-c", cfg.toString());
        assertThat(made.code()).as(made.err()).isZero();
        String token = made.out().strip();
        assertThat(token).matches("ms_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}");
        assertThat(call("GET", "/api/v1/users", "ms_AAAAAAAAAAAAAAAA_" + "A".repeat(43), null, null).statusCode()).isEqualTo(401);

        assertThat(call("POST", "/api/v1/users", token, "application/json", "{\"username\": \"dora@example.com\", \"password\": \"dora pass 1\"}")
                .statusCode()).isEqualTo(201);
        assertThat(call("POST", "/api/v1/users", token, "application/json", "{\"username\": \"dora@example.com\", \"password\": \"dora pass 1\"}")
                .statusCode()).isEqualTo(409);
        assertThat(call("POST", "/api/v1/users", token, "application/json", "not json").statusCode()).isEqualTo(400);
        JsonNode users = JSON.readTree(call("GET", "/api/v1/users", token, null, null).body());
        assertThat(users.findValuesAsText("username")).contains("dora@example.com");

        Gpg g = new Gpg(dir.resolve("gnupg"));
        try {
            g.run("--passphrase", "", "--quick-gen-key", "<erin@example.com>", "future-default", "default", "never").ok("gpg key");
            String key = g.run("--armor", "--export", "erin@example.com").ok("export").outText();
            HttpResponse<String> imported = call("POST", "/api/v1/keys", token, "application/pgp-keys", key);
            assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
            String fpr = JSON.readTree(imported.body()).get("imported").get(0).asText();
            assertThat(JSON.readTree(call("GET", "/api/v1/keys", token, null, null).body()).findValuesAsText("fingerprint")).contains(fpr);
            assertThat(call("DELETE", "/api/v1/keys/" + fpr, token, null, null).statusCode()).isEqualTo(204);
            assertThat(call("DELETE", "/api/v1/keys/" + fpr, token, null, null).statusCode()).isEqualTo(404);
        } finally {
            g.stop();
        }
        assertThat(call("DELETE", "/api/v1/users/dora@example.com", token, null, null).statusCode()).isEqualTo(204);

        // revoked while in use: the very next request is refused
        String id = token.substring(3, 19);
        assertThat(Cli.run("api-token", "revoke", id, "-c", cfg.toString()).code()).isZero();
        HttpResponse<String> after = call("GET", "/api/v1/users", token, null, null);
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(after.body()).contains("revoked");
        assertThat(Cli.run("api-token", "list", "-c", cfg.toString()).out()).contains(id, "provisioning", "revoked");
        try (org.mailseal.store.Database db = org.mailseal.store.Database.open(org.mailseal.config.ConfigLoader.load(cfg))) {
            assertThat(new Audit(db.dataSource()).latest(20)).anyMatch(e -> e.actor().equals("token:provisioning") && e.action().equals("user.add"))
                    .anyMatch(e -> e.actor().equals("token:provisioning") && e.action().equals("key.import"))
                    .anyMatch(e -> e.actor().equals("token:provisioning") && e.action().equals("user.delete"));
        }
    }
}
