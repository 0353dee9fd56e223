package org.mailseal.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.HttpStatus;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.Pkcs12File;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.DiscoveredKeys;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.RelayKeys;
import org.mailseal.keys.SmimeImport;
import org.mailseal.keys.SmimeStore;
import org.mailseal.keys.UserPkcs12;
import org.mailseal.mail.Address;

/** The API's OpenPGP keys, relay keys, discovered keys and pins, S/MIME certificates and the built-in CA. */
final class ApiKeys {

    private final AdminServer.Services s;
    private final Audit audit;

    ApiKeys(AdminServer.Services s, Audit audit) {
        this.s = s;
        this.audit = audit;
    }

    private org.mailseal.keys.MasterKey master() {
        if (s.master() == null) {
            throw new Api.Failure(HttpStatus.CONFLICT, "this gateway holds no private keys (encrypt-only)");
        }
        return s.master();
    }

    void add(Map<String, Api.Op> ops) {
        ops.put("GET /api/v1/keys", (ctx, c) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (PgpKeyStore.Entry e : s.pgp().list(ctx.queryParam("email"))) {
                out.add(Api.map("fingerprint", e.fingerprint(), "emails", e.emails(), "algorithm", e.algorithm(), "source", KeyPages.source(e),
                        "privateKeyHeld", e.hasSecret(), "created", e.created().toString(), "expires", e.expires() == null ? null : e.expires().toString()));
            }
            for (DiscoveredKeys.Entry e : s.discovered().list()) {
                if (e.kind().equals("openpgp") && (ctx.queryParam("email") == null || e.email().equalsIgnoreCase(ctx.queryParam("email")))) {
                    out.add(Api.map("fingerprint", e.fingerprint(), "emails", List.of(e.email()), "algorithm", "", "source", "discovered: " + e.source(),
                            "privateKeyHeld", false, "created", null, "expires", null));
                }
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("POST /api/v1/keys", (ctx, c) -> {
            KeyImport.Result r;
            try {
                r = KeyImport.publicKeys(s.pgp(), audit, c.actor(), c.client(), Api.bytes(ctx, 1 << 20));
            } catch (java.io.IOException | RuntimeException e) {
                if (e instanceof Api.Failure f) {
                    throw f;
                }
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "not an OpenPGP key: " + e.getMessage());
            }
            Api.json(ctx, r.imported().isEmpty() ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.OK,
                    Map.of("imported", r.imported().stream().map(PgpKeys.ValidCert::fingerprint).toList(), "refused", r.refused()));
        });
        ops.put("POST /api/v1/keys/generate", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            String email = Address.parse(Api.text(b, "email", true)).toString();
            String algo = Api.text(b, "algorithm", false);
            PgpKeys.ValidCert v = RelayKeys.generate(s.pgp(), master(), PgpKeys.Algo.parse(algo == null ? "cv25519" : algo), email);
            audit.record(c.actor(), "key.generate", email + " " + v.fingerprint(), c.client());
            Api.json(ctx, HttpStatus.CREATED, Api.map("fingerprint", v.fingerprint(), "algorithm", v.algorithm(), "emails", v.emails()));
        });
        ops.put("GET /api/v1/keys/{fingerprint}", (ctx, c) -> {
            String fpr = PgpKeyStore.normaliseFpr(ctx.pathParam("fingerprint"));
            PGPPublicKeyRing ring = s.pgp().cert(fpr).orElseThrow(() -> Api.notFound("no such key"));
            List<String> uids = new ArrayList<>();
            for (Iterator<String> it = ring.getPublicKey().getUserIDs(); it.hasNext(); ) {
                uids.add(it.next());
            }
            String usable;
            List<String> subkeys = new ArrayList<>();
            try {
                PgpKeys.ValidCert v = PgpKeys.validate(ring, null, Instant.now());
                v.encryptionKeys().forEach(k -> subkeys.add(PgpKeys.fingerprint(k) + " " + PgpKeys.algorithmName(k)));
                usable = "yes";
            } catch (KeyStoreException e) {
                usable = "no: " + e.getMessage();
            }
            PgpKeyStore.Entry e = s.pgp().list(null).stream().filter(x -> x.fingerprint().equals(fpr)).findFirst().orElseThrow();
            Api.json(ctx, HttpStatus.OK, Api.map("fingerprint", fpr, "emails", e.emails(), "userIds", uids, "algorithm", e.algorithm(),
                    "source", KeyPages.source(e), "privateKeyHeld", e.hasSecret(), "encryptionSubkeys", subkeys, "usable", usable));
        });
        ops.put("GET /api/v1/keys/{fingerprint}/public", (ctx, c) -> {
            PGPPublicKeyRing ring = s.pgp().cert(ctx.pathParam("fingerprint")).orElseThrow(() -> Api.notFound("no such key"));
            ctx.contentType("application/pgp-keys").result(PgpKeys.armor(ring.getEncoded()));
        });
        ops.put("POST /api/v1/keys/{fingerprint}/secret", (ctx, c) -> {
            String fpr = PgpKeyStore.normaliseFpr(ctx.pathParam("fingerprint"));
            char[] pass = Api.text(Api.body(ctx), "passphrase", true).toCharArray();
            if (pass.length < 8) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "the passphrase must have at least 8 characters");
            }
            PGPSecretKeyRing ring = s.pgp().secret(fpr, master()).orElseThrow(() -> Api.notFound("no secret key " + fpr));
            byte[] armored = PgpKeys.armor(PgpKeys.protect(ring, pass).getEncoded());
            java.util.Arrays.fill(pass, '\0');
            audit.record(c.actor(), "secret-key.export", fpr, c.client());
            ctx.contentType("application/pgp-keys").result(armored);
        });
        ops.put("DELETE /api/v1/keys/{fingerprint}", (ctx, c) -> {
            String fpr = PgpKeyStore.normaliseFpr(ctx.pathParam("fingerprint"));
            if (!s.pgp().delete(fpr)) {
                throw Api.notFound("no such key");
            }
            audit.record(c.actor(), "key.delete", fpr, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("POST /api/v1/relay-keys/{domain}", (ctx, c) -> {
            RelayKeys.Made m = RelayKeys.ensure(s.config(), s.ds(), master(), null, ctx.pathParam("domain"));
            audit.record(c.actor(), "key.relay", ctx.pathParam("domain") + " " + m.pgp().fingerprint(), c.client());
            Api.json(ctx, HttpStatus.OK, Api.map("address", m.address(), "openpgp", m.pgp().fingerprint(),
                    "smime", m.smime() == null ? null : m.smime().fingerprint()));
        });
        ops.put("GET /api/v1/discovered", (ctx, c) -> {
            List<Map<String, Object>> keys = new ArrayList<>();
            for (DiscoveredKeys.Entry e : s.discovered().list()) {
                keys.add(Api.map("email", e.email(), "kind", e.kind(), "fingerprint", e.fingerprint(), "source", e.source(), "seen", e.seen().toString()));
            }
            List<Map<String, Object>> pins = new ArrayList<>();
            for (DiscoveredKeys.Pin p : s.discovered().pins()) {
                pins.add(Api.map("email", p.email(), "fingerprint", p.fingerprint(), "source", p.source(), "pinned", p.pinned().toString(),
                        "offeredFingerprint", p.offeredFingerprint(), "offeredSource", p.offeredSource()));
            }
            Api.json(ctx, HttpStatus.OK, Api.map("keys", keys, "pins", pins));
        });
        ops.put("POST /api/v1/pins/{address}/accept", (ctx, c) -> {
            String a = Address.normalise(ctx.pathParam("address"));
            if (!s.discovered().acceptOffered(a)) {
                throw Api.notFound("no changed key waits for " + a);
            }
            audit.record(c.actor(), "pin.accept", a, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("DELETE /api/v1/pins/{address}", (ctx, c) -> {
            String a = Address.normalise(ctx.pathParam("address"));
            if (!s.discovered().unpin(a)) {
                throw Api.notFound("no pin for " + a);
            }
            audit.record(c.actor(), "pin.remove", a, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        certs(ops);
        ca(ops);
    }

    private static Map<String, Object> cert(SmimeStore.Entry e) {
        return Api.map("fingerprint", e.fingerprint(), "emails", e.emails(), "subject", e.subject(), "issuer", e.issuer(), "serial", e.serial(),
                "notBefore", e.notBefore().toString(), "notAfter", e.notAfter().toString(), "algorithm", e.algorithm(),
                "issuedHere", e.issued(), "privateKeyHeld", e.hasKey());
    }

    private void certs(Map<String, Api.Op> ops) {
        ops.put("GET /api/v1/certs", (ctx, c) -> Api.json(ctx, HttpStatus.OK, s.smime().list(ctx.queryParam("email")).stream().map(ApiKeys::cert).toList()));
        ops.put("POST /api/v1/certs", (ctx, c) -> {
            String pw = ctx.header("X-Pkcs12-Password");
            SmimeCerts.Bundle b;
            try {
                b = SmimeCerts.read(Api.bytes(ctx, 1 << 20), pw == null ? null : pw.toCharArray());
            } catch (java.io.IOException e) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "not a certificate: " + e.getMessage());
            }
            SmimeImport.Result r = SmimeImport.run(s.smime(), s.certs(), b, s.master(), s.config().encryptOnly());
            List<Map<String, Object>> imported = new ArrayList<>();
            for (SmimeImport.Imported i : r.imported()) {
                audit.record(c.actor(), "certificate.import", i.fingerprint() + " " + String.join(",", i.emails()), c.client());
                imported.add(Api.map("fingerprint", i.fingerprint(), "withKey", i.withKey(), "emails", i.emails()));
            }
            Api.json(ctx, imported.isEmpty() ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.OK, Api.map("imported", imported, "refused", r.refused()));
        });
        ops.put("GET /api/v1/certs/{fingerprint}", (ctx, c) -> {
            String fpr = ctx.pathParam("fingerprint").replace(":", "").toUpperCase(java.util.Locale.ROOT);
            X509Certificate x = s.smime().cert(fpr).orElseThrow(() -> Api.notFound("no such certificate"));
            String usable;
            try {
                s.certs().validate(x, null, List.of());
                usable = "yes";
            } catch (KeyStoreException e) {
                usable = "no: " + e.getMessage();
            }
            Map<String, Object> m = cert(s.smime().list(null).stream().filter(e -> e.fingerprint().equals(fpr)).findFirst().orElseThrow());
            m.put("usable", usable);
            Api.json(ctx, HttpStatus.OK, m);
        });
        ops.put("GET /api/v1/certs/{fingerprint}/pem", (ctx, c) -> {
            X509Certificate x = s.smime().cert(ctx.pathParam("fingerprint").replace(":", "")).orElseThrow(() -> Api.notFound("no such certificate"));
            ctx.contentType("application/pem-certificate-chain").result(SmimeCerts.pem("CERTIFICATE", x.getEncoded()));
        });
        ops.put("DELETE /api/v1/certs/{fingerprint}", (ctx, c) -> {
            String fpr = ctx.pathParam("fingerprint").replace(":", "").toUpperCase(java.util.Locale.ROOT);
            if (!s.smime().delete(fpr)) {
                throw Api.notFound("no such certificate");
            }
            audit.record(c.actor(), "certificate.delete", fpr, c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }

    private void ca(Map<String, Api.Op> ops) {
        ops.put("GET /api/v1/ca", (ctx, c) -> {
            SmimeStore.Ca ca = s.smime().ca().orElseThrow(() -> Api.notFound("no CA"));
            X509Certificate x = ca.cert();
            Api.json(ctx, HttpStatus.OK, Api.map("subject", x.getSubjectX500Principal().getName(), "fingerprint", SmimeCerts.fingerprint(x),
                    "algorithm", SmimeCerts.keyAlgorithm(x), "notAfter", x.getNotAfter().toInstant().toString(),
                    "pem", Api.utf8(SmimeCerts.pem("CERTIFICATE", x.getEncoded()))));
        });
        ops.put("POST /api/v1/ca", (ctx, c) -> {
            if (s.smime().ca().isPresent()) {
                throw new Api.Failure(HttpStatus.CONFLICT, "the CA exists already");
            }
            JsonNode b = Api.body(ctx);
            int days = b.path("days").asInt(3650);
            if (days < 1 || days > 36500) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "days: 1 to 36500");
            }
            X509Certificate ca;
            if (s.config().keys().pkcs11() != null) {
                ca = s.certs().initCaInToken(s.config().ca().name(), Duration.ofDays(days));
            } else {
                String algo = Api.text(b, "algorithm", false);
                KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.parse(algo == null ? "rsa3072" : algo));
                ca = CertificateAuthority.createCa(kp, s.config().ca().name(), Duration.ofDays(days));
                s.smime().initCa(ca, kp.getPrivate(), master());
            }
            audit.record(c.actor(), "ca.init", SmimeCerts.fingerprint(ca), c.client());
            Api.json(ctx, HttpStatus.CREATED, Api.map("subject", ca.getSubjectX500Principal().getName(), "fingerprint", SmimeCerts.fingerprint(ca)));
        });
        ops.put("POST /api/v1/ca/certificates", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            String email = Address.parse(Api.text(b, "email", true)).toString();
            String days = Api.text(b, "days", false);
            CertDirectory.ValidCert v = s.certs().issue(email, days == null ? null : Integer.valueOf(days), Api.text(b, "algorithm", false));
            audit.record(c.actor(), "certificate.issue", email + " " + v.fingerprint(), c.client());
            Api.json(ctx, HttpStatus.CREATED, Api.map("fingerprint", v.fingerprint(), "email", email, "notAfter", v.cert().getNotAfter().toInstant().toString(),
                    "pem", Api.utf8(SmimeCerts.pem("CERTIFICATE", v.cert().getEncoded()))));
        });
        ops.put("POST /api/v1/ca/revocations", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            List<SmimeStore.Entry> done = s.smime().revokeIssued(Api.text(b, "email", false), Api.text(b, "fingerprint", false));
            if (done.isEmpty()) {
                throw Api.notFound("no certificate of this CA matched");
            }
            for (SmimeStore.Entry e : done) {
                audit.record(c.actor(), "certificate.revoke", e.fingerprint() + " serial " + e.serial(), c.client());
            }
            Api.json(ctx, HttpStatus.OK, done.stream().map(e -> Api.map("fingerprint", e.fingerprint(), "serial", e.serial())).toList());
        });
        ops.put("GET /api/v1/ca/crl", (ctx, c) -> {
            if (s.smime().ca().isEmpty()) {
                throw Api.notFound("no CA");
            }
            ctx.contentType("application/x-pem-file").result(SmimeCerts.pem("X509 CRL", s.certs().currentCrl().getEncoded()));
        });
        ops.put("POST /api/v1/ca/pkcs12", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            String email = Api.text(b, "email", true);
            char[] pw = Api.text(b, "password", true).toCharArray();
            if (pw.length < 8) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "the file's password must have at least 8 characters");
            }
            String profile = Api.text(b, "profile", false);
            if (profile != null && !profile.equals("modern") && !profile.equals("legacy")) {
                throw new Api.Failure(HttpStatus.BAD_REQUEST, "profile: modern or legacy");
            }
            var made = UserPkcs12.export(s.smime(), master(), email, pw, "legacy".equals(profile) ? Pkcs12File.Profile.LEGACY : Pkcs12File.Profile.MODERN);
            java.util.Arrays.fill(pw, '\0');
            if (made.isEmpty()) {
                throw Api.notFound("no certificate with a private key for " + email);
            }
            audit.record(c.actor(), "pkcs12.export", email + " " + SmimeCerts.fingerprint(made.get().certificate()), c.client());
            ctx.contentType("application/pkcs12").result(made.get().p12());
        });
    }
}
