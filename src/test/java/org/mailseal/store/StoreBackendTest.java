package org.mailseal.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailseal.Gateway;
import org.mailseal.auth.PasswordHasher;
import org.mailseal.auth.UserStore;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.mail.Address;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.PolicyStore;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * The key store on both back ends: the embedded H2 file and a real PostgreSQL (started by .ci/run,
 * found through MAILSEAL_TEST_PG_URL / _USER / _PASSWORD).
 */
class StoreBackendTest {

    @TempDir
    Path dir;

    /** The database lines of the config for a back end; PostgreSQL gets a clean schema first. */
    String databaseYaml(String backend) throws Exception {
        return backend.equals("h2") ? "database: {}" : org.mailseal.testkit.TestPostgres.schema("public", dir);
    }

    MailsealConfig config(String backend) throws Exception {
        return ConfigLoader.parse("t", "dataDir: " + dir.resolve("data") + "\n" + databaseYaml(backend) + "\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void storesUsersKeysSecretsAndPolicy(String backend) throws Exception {
        MailsealConfig cfg = config(backend);
        try (Database db = Database.open(cfg)) {
            UserStore users = new UserStore(db.dataSource(), new PasswordHasher(1024, 1));
            assertThat(users.add("alice@example.com", "password-1")).isTrue();
            assertThat(users.verify("alice@example.com", "password-1")).isTrue();
            assertThat(users.verify("alice@example.com", "password-2")).isFalse();

            MasterKey mk = MasterKey.unlock(db.dataSource(), "master".toCharArray(), 1024, 1);
            assertThatThrownBy(() -> MasterKey.unlock(db.dataSource(), "other".toCharArray(), 1024, 1))
                    .isInstanceOf(KeyStoreException.class);
            PgpKeyStore keys = new PgpKeyStore(db.dataSource());
            var secret = PgpKeys.generate("alice@example.com", "Alice", PgpKeys.Algo.CV25519);
            PgpKeys.ValidCert v = keys.putCert(PgpKeys.publicRing(secret), true);
            keys.putSecret(v.fingerprint(), secret, mk);
            keys.putCert(PgpKeys.publicRing(PgpKeys.generate("bob@example.com", null, PgpKeys.Algo.CV25519)), false);
            assertThat(keys.certsFor("ALICE@example.COM".replace("ALICE", "alice"))).hasSize(1);
            assertThat(keys.list(null)).hasSize(2);
            assertThat(keys.list("alice@example.com").get(0).hasSecret()).isTrue();
            assertThat(keys.secret(v.fingerprint(), mk).orElseThrow().getPublicKey().getFingerprint()).isEqualTo(secret.getPublicKey().getFingerprint());
            // re-import of the same key replaces it
            keys.putCert(PgpKeys.publicRing(secret), false);
            assertThat(keys.list(null)).hasSize(2);
            assertThat(keys.list("alice@example.com").get(0).managed()).isTrue();

            PolicyStore ps = new PolicyStore(db.dataSource());
            ps.set("alice@example.com", "encrypt", "opportunistic");
            PolicyResolver.Effective e = new PolicyResolver(cfg, ps).resolve(Address.parse("alice@example.com"));
            assertThat(e.values().get("encrypt").value()).isEqualTo("opportunistic");
            assertThat(e.source("encrypt")).isEqualTo("user");
            assertThat(e.source("onMissingKey")).isEqualTo("default");

            assertThat(keys.delete(v.fingerprint())).isTrue();
            assertThat(keys.list(null)).hasSize(1);

            // S/MIME: the built-in CA, an issued certificate with its sealed key, revocation, CRL numbers.
            org.mailseal.keys.SmimeStore ss = new org.mailseal.keys.SmimeStore(db.dataSource());
            java.security.KeyPair caKp = org.mailseal.crypto.smime.CertificateAuthority.keyPair(org.mailseal.crypto.smime.CertificateAuthority.Algo.P256);
            assertThat(ss.initCa(org.mailseal.crypto.smime.CertificateAuthority.createCa(caKp, "store CA", java.time.Duration.ofDays(10)), caKp.getPrivate(), mk)).isTrue();
            assertThat(ss.initCa(org.mailseal.crypto.smime.CertificateAuthority.createCa(caKp, "second", java.time.Duration.ofDays(10)), caKp.getPrivate(), mk)).isFalse();
            org.mailseal.keys.CertDirectory certs = new org.mailseal.keys.CertDirectory(ss, mk, cfg);
            var issued = certs.issue("carol@example.com", 10, "p256");
            assertThat(certs.find("carol@example.com")).isPresent();
            assertThat(ss.list("carol@example.com").get(0).hasKey()).isTrue();
            assertThat(ss.privateKey(issued.fingerprint(), mk)).isPresent();
            certs.revoke(issued.cert());
            assertThat(certs.find("carol@example.com")).isEmpty();
            assertThat(certs.currentCrl().isRevoked(issued.cert())).isTrue();
            assertThat(ss.nextCrlNumber()).isGreaterThan(java.math.BigInteger.ONE);
            assertThat(ss.delete(issued.fingerprint())).isTrue();
        }
        // reopening migrates nothing twice
        try (Database db = Database.open(cfg)) {
            assertThat(new PgpKeyStore(db.dataSource()).list(null)).hasSize(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void gatewayEncryptsWithGeneratedKeyOnThisBackend(String backend) throws Exception {
        String db = databaseYaml(backend);
        Path master = dir.resolve("master.pass");
        Files.writeString(master, "store test master\n");
        java.nio.file.Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int port = TestGateway.freePort();
        try (CapturingSink sink = new CapturingSink();
             Gateway gw = TestGateway.start(TestGateway.yaml(dir.resolve("gw"), port, 0, sink.port(), db,
                     "policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}",
                     "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 1024, argon2Iterations: 1}"));
             SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO s.test");
            c.expect("250");
            assertThat(c.sendMail("x@internet.test", List.of("carol@example.com"), "Subject: s\r\n\r\nstore\r\n")).startsWith("250");
            assertThat(sink.messages.get(0).text()).contains("multipart/encrypted").doesNotContain("\r\nstore\r\n");
        }
    }
}
