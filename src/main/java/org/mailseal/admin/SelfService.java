package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.crypto.KeyStoreException;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.crypto.smime.Pkcs12File;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
import org.mailseal.keys.UserPkcs12;
import org.mailseal.mail.Address;

/**
 * A user's own page ({@code /me}): their keys and certificates; their PKCS#12 and their secret OpenPGP key,
 * each protected by a password of their choosing and only after they typed their own password again; their
 * own public key to upload (bound to their address only when one of its user IDs is that address, with a
 * valid self-signature); their own policy within what their domain allows; their Sent-copy IMAP login.
 */
final class SelfService {

    private final Site site;
    private final AdminServer.Services s;
    private final LoginThrottle throttle;

    SelfService(Site site, AdminServer.Services s, LoginThrottle throttle) {
        this.site = site;
        this.s = s;
        this.throttle = throttle;
    }

    void register(RoutesConfig r) {
        r.get("/me", ctx -> me(ctx, site.requireUser(ctx), null));
        r.post("/me/pkcs12", this::pkcs12);
        r.post("/me/secret-key", this::secretKey);
        r.post("/me/key", this::uploadKey);
        r.post("/me/policy", this::policy);
        r.post("/me/imap-login", this::imapLogin);
    }

    private void me(Context ctx, Viewer v, String notice) throws Exception {
        List<String> keys = new ArrayList<>();
        List<String> secretKeys = new ArrayList<>();
        for (PgpKeyStore.Entry e : s.pgp().list(v.username())) {
            keys.add(e.fingerprint() + " (" + e.algorithm() + ", created " + e.created().toString().substring(0, 10)
                    + (e.hasSecret() ? ", private key held" : ", public key only") + ")");
            if (e.hasSecret()) {
                secretKeys.add(e.fingerprint());
            }
        }
        List<String> certs = new ArrayList<>();
        for (SmimeStore.Entry e : s.smime().list(v.username())) {
            certs.add(e.subject() + " — valid until " + e.notAfter().toString().substring(0, 10) + (e.hasKey() ? ", private key held" : ""));
        }
        List<View.Row> policy = PolicyPages.effective(s, Address.parse(v.username()));
        List<String> notices = new ArrayList<>(Site.notices(ctx));
        if (notice != null) {
            notices.add(notice);
        }
        site.render(ctx, "me.jte", "viewer", v, "pgpKeys", keys, "secretKeys", secretKeys, "certificates", certs, "notices", notices,
                "policy", policy, "own", new org.mailseal.policy.PolicyStore(s.ds()).get(v.username()),
                "imapLogin", new org.mailseal.imap.ImapLogins(s.ds()).has(v.username()));
    }

    /** The user typed their password again (throttled like a login); otherwise answers and returns false. */
    private boolean reentered(Context ctx, Viewer v) throws Exception {
        String ip = ctx.ip();
        if (!throttle.allowed(v.username(), ip)) {
            ctx.status(HttpStatus.TOO_MANY_REQUESTS);
            me(ctx, v, "Too many wrong passwords. Try again in 15 minutes.");
            return false;
        }
        if (!s.users().verify(v.username(), String.valueOf(ctx.formParam("password")))) {
            throttle.failed(v.username(), ip);
            ctx.status(HttpStatus.UNAUTHORIZED);
            me(ctx, v, "That is not your password.");
            return false;
        }
        return true;
    }

    private void pkcs12(Context ctx) throws Exception {
        Viewer v = site.requireCsrf(ctx);
        if (!reentered(ctx, v)) {
            return;
        }
        char[] p12 = String.valueOf(ctx.formParam("p12password")).toCharArray();
        if (p12.length < 8) {
            me(ctx, v, "The file's password must have at least 8 characters.");
            return;
        }
        if (s.master() == null) {
            me(ctx, v, "This gateway holds no private keys.");
            return;
        }
        Pkcs12File.Profile profile = "legacy".equals(ctx.formParam("profile")) ? Pkcs12File.Profile.LEGACY : Pkcs12File.Profile.MODERN;
        Optional<UserPkcs12.Export> made = UserPkcs12.export(s.smime(), s.master(), v.username(), p12, profile);
        java.util.Arrays.fill(p12, '\0');
        if (made.isEmpty()) {
            me(ctx, v, "You have no certificate whose private key the gateway holds.");
            return;
        }
        site.audit(v, ctx, "pkcs12.download", v.username() + " " + SmimeCerts.fingerprint(made.get().certificate()));
        ctx.header("Content-Disposition", "attachment; filename=\"" + v.username().replaceAll("[^A-Za-z0-9@._-]", "_") + ".p12\"");
        ctx.contentType("application/pkcs12").result(made.get().p12());
    }

    private void secretKey(Context ctx) throws Exception {
        Viewer v = site.requireCsrf(ctx);
        if (!reentered(ctx, v)) {
            return;
        }
        char[] pass = String.valueOf(ctx.formParam("passphrase")).toCharArray();
        if (pass.length < 8) {
            me(ctx, v, "The key's passphrase must have at least 8 characters.");
            return;
        }
        String fpr = PgpKeyStore.normaliseFpr(Site.field(ctx, "fingerprint"));
        // only a key bound to the user's own address
        boolean own = s.pgp().list(v.username()).stream().anyMatch(e -> e.fingerprint().equals(fpr) && e.hasSecret());
        if (!own || s.master() == null) {
            throw new Site.Refused(HttpStatus.FORBIDDEN, v, "That is not one of your keys.");
        }
        Optional<PGPSecretKeyRing> ring = s.pgp().secret(fpr, s.master());
        if (ring.isEmpty()) {
            throw new Site.Refused(HttpStatus.FORBIDDEN, v, "That is not one of your keys.");
        }
        byte[] armored = PgpKeys.armor(PgpKeys.protect(ring.get(), pass).getEncoded());
        java.util.Arrays.fill(pass, '\0');
        site.audit(v, ctx, "secret-key.download", v.username() + " " + fpr);
        ctx.header("Content-Disposition", "attachment; filename=\"" + fpr + "-secret.asc\"");
        ctx.contentType("application/pgp-keys").result(armored);
    }

    private void uploadKey(Context ctx) throws Exception {
        Viewer v = site.requireCsrf(ctx);
        byte[] data = Site.uploadOrText(ctx, "/me");
        if (data == null) {
            return;
        }
        List<String> notices = new ArrayList<>();
        List<Object> rings;
        try {
            rings = PgpKeys.readKeyrings(new ByteArrayInputStream(data));
        } catch (java.io.IOException | RuntimeException e) {
            Site.redirect(ctx, "/me", "Not an OpenPGP key: " + e.getMessage());
            return;
        }
        for (Object o : rings) {
            if (!(o instanceof PGPPublicKeyRing pub)) {
                notices.add("Refused: a secret key; upload only your public key.");
                continue;
            }
            try {
                // a user ID equal to the user's address, with a valid self-signature: the key is bound to it and nothing else
                PgpKeys.validate(pub, v.username(), Instant.now());
                PgpKeys.ValidCert c = s.pgp().putCert(pub, false, List.of(v.username()));
                s.pgp().setSource(c.fingerprint(), "uploaded by the user");
                site.audit(v, ctx, "key.upload", c.fingerprint() + " " + v.username());
                notices.add("Uploaded " + c.fingerprint() + " for " + v.username() + ".");
            } catch (KeyStoreException e) {
                notices.add("Refused: " + e.getMessage());
            }
        }
        if (rings.isEmpty()) {
            notices.add("No key found in what was sent.");
        }
        Site.redirectAll(ctx, "/me", notices);
    }

    private void policy(Context ctx) throws Exception {
        Viewer v = site.requireCsrf(ctx);
        Address a = Address.parse(v.username());
        List<String> notices = new ArrayList<>();
        java.util.Map<String, String> own = new org.mailseal.policy.PolicyStore(s.ds()).get(a.toString());
        for (String k : PolicyPages.SELF_SERVICE) {
            String val = Site.field(ctx, k);
            if (val.equals(own.getOrDefault(k, ""))) {
                continue;
            }
            String why;
            try {
                why = PolicyPages.selfSet(s, a, k, val);
            } catch (IllegalArgumentException bad) {
                why = bad.getMessage();
            }
            if (why == null) {
                site.audit(v, ctx, "policy.self", a + " " + k + "=" + val);
                notices.add("Saved " + k + (val.isEmpty() ? " (inherited again)." : "=" + val + "."));
            } else {
                notices.add("Not saved: " + why + ".");
            }
        }
        Site.redirectAll(ctx, "/me", notices.isEmpty() ? List.of("Nothing changed.") : notices);
    }

    private void imapLogin(Context ctx) throws Exception {
        Viewer v = site.requireCsrf(ctx);
        Site.redirect(ctx, "/me", UserPages.storeImapLogin(site, s, v, ctx, v.username()));
    }
}
