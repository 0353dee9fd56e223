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
 * The REST API: its operations and the OpenAPI document agree both ways and every operation answers; every
 * CLI command has a route or a stated reason not to (CLI parity); a token made with the CLI adds and deletes
 * users and imports and deletes keys (each change audited under the token's name); no token or a wrong one
 * gets 401; a token revoked while in use is refused at its next request; and a walk through the CA, keys,
 * certificates, policy, DKIM, PDF passwords, tokens and logs, checked with openssl and gpg.
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
                        + tls.pkcs8Key() + "\"}", TestGateway.masterKeys(dir, "api master passphrase")));
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
            HttpResponse<String> res = call(r.method(), r.path().replaceAll("\\{[a-z]+\\}", "x"), null,
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

    /** The CLI's commands, as {@code "keys generate"}: the leaves of the command tree. */
    static Set<String> cliCommands() {
        Set<String> out = new java.util.TreeSet<>();
        walk(new picocli.CommandLine(new org.mailseal.cli.Main()), "", out);
        return out;
    }

    private static void walk(picocli.CommandLine c, String prefix, Set<String> out) {
        if (c.getSubcommands().isEmpty()) {
            out.add(prefix.strip());
            return;
        }
        for (var e : c.getSubcommands().entrySet()) {
            walk(e.getValue(), prefix + " " + e.getKey(), out);
        }
    }

    @Test
    void everyCliCommandHasARouteOrAReasonNotTo() {
        Set<String> cli = cliCommands();
        assertThat(cli).contains("users add", "keys relay-key", "ca export-p12", "dkim activate", "quarantine release", "version");
        Set<String> covered = new java.util.TreeSet<>();
        Api.ROUTES.stream().map(Api.Route::cli).filter(java.util.Objects::nonNull).forEach(covered::add);
        covered.addAll(Api.HOST_ONLY.keySet());
        assertThat(covered).as("routes and host-only commands name real CLI commands").isSubsetOf(cli);
        assertThat(cli).as("every CLI command has a route, or is host-only with a reason").isSubsetOf(covered);
        assertThat(Api.HOST_ONLY.values()).allMatch(why -> why.length() > 10);
    }

    JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    @Test
    void aWalkThroughEveryPartOfTheApi() throws Exception {
        String token = JSON.readTree(call("POST", "/api/v1/tokens", tokenFromCli("walk"), "application/json", "{\"name\": \"walker\"}").body()).get("token").asText();
        String j = "application/json";
        // users: add, password, an alias, an IMAP login
        ok(call("POST", "/api/v1/users", token, j, "{\"username\": \"fred@example.com\", \"password\": \"fred pass 1\"}"), 201);
        ok(call("PUT", "/api/v1/users/fred@example.com/password", token, j, "{\"password\": \"fred pass 2\"}"), 204);
        assertThat(ok(call("POST", "/api/v1/users/fred@example.com/addresses", token, j, "{\"address\": \"f.red@example.com\"}"), 200).toString())
                .contains("f.red@example.com");
        ok(call("DELETE", "/api/v1/users/fred@example.com/addresses/f.red@example.com", token, null, null), 204);
        ok(call("PUT", "/api/v1/users/fred@example.com/imap-login", token, j, "{\"password\": \"imap secret\"}"), 204);
        ok(call("DELETE", "/api/v1/users/fred@example.com/imap-login", token, null, null), 204);
        ok(call("DELETE", "/api/v1/users/fred@example.com/imap-login", token, null, null), 404);
        ok(call("PUT", "/api/v1/users/nobody@example.com/password", token, j, "{\"password\": \"whatever 1\"}"), 404);
        // the CA: set up, issue, export as PKCS#12 (openssl reads it), revoke (the CRL lists it)
        ok(call("POST", "/api/v1/ca", token, j, "{\"algorithm\": \"p256\", \"days\": 365}"), 201);
        ok(call("POST", "/api/v1/ca", token, j, "{}"), 409);
        JsonNode issued = ok(call("POST", "/api/v1/ca/certificates", token, j, "{\"email\": \"fred@example.com\", \"algorithm\": \"p256\"}"), 201);
        String certFpr = issued.get("fingerprint").asText();
        HttpResponse<byte[]> p12 = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/ca/pkcs12")).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"email\": \"fred@example.com\", \"password\": \"file pass 1\"}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(p12.statusCode()).isEqualTo(200);
        Path p12File = dir.resolve("fred.p12");
        Files.write(p12File, p12.body());
        assertThat(org.mailseal.testkit.Cmd.run("openssl", "pkcs12", "-in", p12File.toString(), "-passin", "pass:file pass 1", "-nokeys")
                .ok("openssl pkcs12").outText()).contains("fred@example.com");
        assertThat(ok(call("GET", "/api/v1/certs/" + certFpr, token, null, null), 200).get("usable").asText()).isEqualTo("yes");
        assertThat(call("GET", "/api/v1/certs/" + certFpr + "/pem", token, null, null).body()).startsWith("-----BEGIN CERTIFICATE-----");
        String serial = ok(call("POST", "/api/v1/ca/revocations", token, j, "{\"fingerprint\": \"" + certFpr + "\"}"), 200).get(0).get("serial").asText();
        Path crl = dir.resolve("api.crl");
        Files.writeString(crl, call("GET", "/api/v1/ca/crl", token, null, null).body());
        assertThat(org.mailseal.testkit.Cmd.run("openssl", "crl", "-in", crl.toString(), "-noout", "-text").ok("openssl crl").outText().toUpperCase())
                .contains(serial.length() % 2 == 1 ? "0" + serial : serial);
        assertThat(ok(call("GET", "/api/v1/certs/" + certFpr, token, null, null), 200).get("usable").asText()).startsWith("no: ");
        assertThat(ok(call("GET", "/api/v1/ca", token, null, null), 200).get("pem").asText()).startsWith("-----BEGIN CERTIFICATE-----");
        // OpenPGP: generate, show, the secret key under a passphrase (gpg imports it), the relay key
        JsonNode gen = ok(call("POST", "/api/v1/keys/generate", token, j, "{\"email\": \"fred@example.com\"}"), 201);
        String fpr = gen.get("fingerprint").asText();
        assertThat(ok(call("GET", "/api/v1/keys/" + fpr, token, null, null), 200).get("usable").asText()).isEqualTo("yes");
        assertThat(call("GET", "/api/v1/keys/" + fpr + "/public", token, null, null).body()).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        String secret = call("POST", "/api/v1/keys/" + fpr + "/secret", token, j, "{\"passphrase\": \"secret pass 1\"}").body();
        Gpg g = new Gpg(dir.resolve("walk-gpg"));
        try {
            Path k = dir.resolve("fred-secret.asc");
            Files.writeString(k, secret);
            g.run("--batch", "--pinentry-mode", "loopback", "--passphrase", "secret pass 1", "--import", k.toString()).ok("gpg import");
            assertThat(g.run("--list-secret-keys", "--with-colons").ok("list").outText()).contains(fpr);
        } finally {
            g.stop();
        }
        JsonNode relay = ok(call("POST", "/api/v1/relay-keys/example.com", token, null, null), 200);
        assertThat(relay.get("openpgp").asText()).matches("[0-9A-F]{40}");
        assertThat(relay.get("smime").asText()).matches("[0-9A-F]{64}");
        ok(call("POST", "/api/v1/relay-keys/elsewhere.test", token, null, null), 400);
        assertThat(ok(call("GET", "/api/v1/discovered", token, null, null), 200).has("pins")).isTrue();
        ok(call("DELETE", "/api/v1/pins/nobody@example.com", token, null, null), 404);
        // policy: set, shown with its source; a wrong value named
        ok(call("PUT", "/api/v1/policy/fred@example.com", token, j, "{\"encrypt\": \"opportunistic\"}"), 200);
        assertThat(ok(call("GET", "/api/v1/policy/fred@example.com", token, null, null), 200).toString()).contains("{\"setting\":\"encrypt\",\"value\":\"opportunistic\",\"source\":\"user\"}");
        assertThat(ok(call("PUT", "/api/v1/policy/fred@example.com", token, j, "{\"encrypt\": \"perhaps\"}"), 400).get("error").asText()).contains("encrypt must be");
        // the why tool
        assertThat(ok(call("GET", "/api/v1/why/fred@example.com", token, null, null), 200).get("action").asText()).startsWith("encrypt with OpenPGP to key ");
        // DKIM: generate (not signing), shown, deleted; activating without the record in DNS is refused
        JsonNode dk = ok(call("POST", "/api/v1/dkim", token, j, "{\"domain\": \"example.com\", \"algorithm\": \"ed25519\", \"selector\": \"t1\"}"), 201);
        assertThat(dk.get(0).get("record").asText()).startsWith("v=DKIM1; k=ed25519; p=");
        assertThat(ok(call("GET", "/api/v1/dkim?domain=example.com", token, null, null), 200).toString()).contains("\"selector\":\"t1\"", "\"state\":\"published\"");
        ok(call("DELETE", "/api/v1/dkim/example.com/t1", token, null, null), 204);
        ok(call("POST", "/api/v1/dkim/example.com/t1/activate", token, j, "{}"), 404);
        // PDF passwords; rendering a message as a PDF
        ok(call("PUT", "/api/v1/pdf-passwords/outsider@else.test", token, j, "{\"password\": \"short\"}"), 400);
        ok(call("PUT", "/api/v1/pdf-passwords/outsider@else.test", token, j, "{\"password\": \"a long pdf password\"}"), 200);
        ok(call("DELETE", "/api/v1/pdf-passwords/outsider@else.test", token, null, null), 204);
        HttpResponse<byte[]> pdf = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/pdf/render")).header("Authorization", "Bearer " + token)
                .header("X-Pdf-Password", "pdf pass 12").POST(HttpRequest.BodyPublishers.ofString("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pdf.statusCode()).isEqualTo(200);
        assertThat(new String(pdf.body(), 0, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("%PDF-");
        // quarantine (empty here), DNS records, config, version, the logs
        assertThat(ok(call("GET", "/api/v1/quarantine", token, null, null), 200).size()).isZero();
        ok(call("POST", "/api/v1/quarantine/nosuch/release", token, null, null), 404);
        assertThat(call("GET", "/api/v1/dns-records/example.com?smtpPort=25", token, null, null).body()).contains("_25._tcp.gw.test", "OPENPGPKEY");
        assertThat(ok(call("GET", "/api/v1/config", token, null, null), 200).get("web").get("enabled").asBoolean()).isTrue();
        assertThat(ok(call("GET", "/api/v1/version", token, null, null), 200).get("version").asText()).isNotEmpty();
        assertThat(ok(call("GET", "/api/v1/audit", token, null, null), 200).toString()).contains("token:walker", "certificate.revoke", "dkim.generate");
        ok(call("GET", "/api/v1/log?q=x", token, null, null), 200);
        // tokens: listed; revoking this one ends it
        String id = token.substring(3, 19);
        assertThat(ok(call("GET", "/api/v1/tokens", token, null, null), 200).toString()).contains(id, "walker");
        ok(call("DELETE", "/api/v1/tokens/" + id, token, null, null), 204);
        ok(call("GET", "/api/v1/version", token, null, null), 401);
    }

    String tokenFromCli(String name) throws Exception {
        Cli.Run made = Cli.run("api-token", "create", "--name", name, "-c", cfg.toString());
        assertThat(made.code()).as(made.err()).isZero();
        return made.out().strip();
    }
}
