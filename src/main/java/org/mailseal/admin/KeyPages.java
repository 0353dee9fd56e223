package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.DiscoveredKeys;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.mail.Address;

/**
 * OpenPGP keys: list and search (with where each key came from), import by upload or paste, export,
 * delete, generate, a local domain's relay key, and the keys found by discovery with the pins of the
 * {@code pinned} policy (accept a changed key, unpin).
 */
final class KeyPages {

    private final Site site;
    private final AdminServer.Services s;

    KeyPages(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/keys", this::list);
        r.post("/admin/keys", this::importKeys);
        r.post("/admin/keys/delete", this::delete);
        r.post("/admin/keys/generate", this::generate);
        r.post("/admin/keys/relay", this::relay);
        r.post("/admin/keys/pin-accept", this::pinAccept);
        r.post("/admin/keys/unpin", this::unpin);
        r.get("/admin/keys/{file}", this::export);
    }

    /** Where a stored key came from, in words. */
    static String source(PgpKeyStore.Entry e) {
        return e.origin();
    }

    private void list(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String q = ctx.queryParam("q") == null ? "" : ctx.queryParam("q").strip().toLowerCase(Locale.ROOT);
        List<KeyRow> rows = new ArrayList<>();
        for (PgpKeyStore.Entry e : s.pgp().list(null)) {
            List<String> uids = new ArrayList<>();
            s.pgp().cert(e.fingerprint()).ifPresent(ring -> ring.getPublicKey().getUserIDs().forEachRemaining(uids::add));
            rows.add(new KeyRow(e.fingerprint(), e.emails(), uids, e.algorithm(), source(e) + (e.hasSecret() ? ", private key held" : ""), true));
        }
        for (DiscoveredKeys.Entry e : s.discovered().list()) {
            if (e.kind().equals("openpgp")) {
                rows.add(new KeyRow(e.fingerprint(), List.of(e.email()), List.of(), "", "discovered: " + e.source(), false));
            }
        }
        if (!q.isEmpty()) {
            rows.removeIf(k -> !(k.fingerprint().toLowerCase(Locale.ROOT).contains(q) || k.emails().stream().anyMatch(m -> m.contains(q))
                    || k.userIds().stream().anyMatch(u -> u.toLowerCase(Locale.ROOT).contains(q))));
        }
        List<View.Row> pins = new ArrayList<>();
        for (DiscoveredKeys.Pin p : s.discovered().pins()) {
            List<View.Action> actions = new ArrayList<>();
            if (p.offeredFingerprint() != null) {
                actions.add(View.post("Accept the changed key", "/admin/keys/pin-accept", Map.of("address", p.email()), "pin-accept"));
            }
            actions.add(View.post("Unpin", "/admin/keys/unpin", Map.of("address", p.email()), "unpin"));
            pins.add(new View.Row(p.email(), List.of(View.cell(p.email()), View.cell(p.fingerprint()), View.cell(p.source()),
                    View.cell(p.offeredFingerprint() == null ? "" : p.offeredFingerprint() + " from " + p.offeredSource())), actions));
        }
        site.render(ctx, "keys.jte", "viewer", v, "keys", rows, "notices", Site.notices(ctx), "query", q, "pins", pins,
                "domains", s.config().domains().local());
    }

    private void importKeys(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        byte[] data = Site.uploadOrText(ctx, "/admin/keys");
        if (data == null) {
            return;
        }
        KeyImport.Result r;
        try {
            r = KeyImport.publicKeys(s.pgp(), site.audit, v.username(), ctx.ip(), data);
        } catch (IOException | RuntimeException e) {
            Site.redirect(ctx, "/admin/keys", "Not an OpenPGP key: " + e.getMessage());
            return;
        }
        List<String> notices = new ArrayList<>();
        r.imported().forEach(c -> notices.add("Imported " + c.fingerprint() + " for " + String.join(", ", c.emails()) + "."));
        r.refused().forEach(why -> notices.add("Refused: " + why));
        Site.redirectAll(ctx, "/admin/keys", notices);
    }

    private void delete(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String fpr = PgpKeyStore.normaliseFpr(Site.field(ctx, "fingerprint"));
        boolean deleted = s.pgp().delete(fpr);
        site.outcome(v, ctx, deleted, "key.delete", fpr, "/admin/keys", "Deleted " + fpr + ".", "No key " + fpr + ".");
    }

    private void generate(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String email = Site.field(ctx, "email");
        try {
            Address.parse(email);
        } catch (IllegalArgumentException e) {
            Site.redirect(ctx, "/admin/keys", "Not an address: " + email);
            return;
        }
        if (s.master() == null) {
            Site.redirect(ctx, "/admin/keys", "This gateway holds no private keys (encrypt-only).");
            return;
        }
        PgpKeys.Algo algo = PgpKeys.Algo.parse(ctx.formParam("algo") == null ? "cv25519" : ctx.formParam("algo"));
        PgpKeys.ValidCert c = org.mailseal.keys.RelayKeys.generate(s.pgp(), s.master(), algo, email);
        site.audit(v, ctx, "key.generate", email + " " + c.fingerprint());
        Site.redirect(ctx, "/admin/keys", "Generated " + c.fingerprint() + " (" + c.algorithm() + ") for " + Address.normalise(email) + ".");
    }

    private void relay(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        if (s.master() == null) {
            Site.redirect(ctx, "/admin/keys", "This gateway holds no private keys (encrypt-only).");
            return;
        }
        String domain = Site.field(ctx, "domain");
        org.mailseal.keys.RelayKeys.Made m;
        try {
            m = org.mailseal.keys.RelayKeys.ensure(s.config(), s.ds(), s.master(), null, domain);
        } catch (IllegalArgumentException e) {
            Site.redirect(ctx, "/admin/keys", e.getMessage());
            return;
        }
        site.audit(v, ctx, "key.relay", domain + " " + m.pgp().fingerprint());
        Site.redirect(ctx, "/admin/keys", "Relay key for " + domain + ": OpenPGP " + m.pgp().fingerprint()
                + (m.smime() != null ? ", S/MIME " + m.smime().fingerprint() : ", no S/MIME certificate (no CA)") + " (" + m.address() + ").");
    }

    private void pinAccept(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String a = Address.normalise(Site.field(ctx, "address"));
        boolean ok = s.discovered().acceptOffered(a);
        site.outcome(v, ctx, ok, "pin.accept", a, "/admin/keys", "Pinned the offered key for " + a + ".", "No changed key waits for " + a + ".");
    }

    private void unpin(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String a = Address.normalise(Site.field(ctx, "address"));
        boolean ok = s.discovered().unpin(a);
        site.outcome(v, ctx, ok, "pin.remove", a, "/admin/keys", "Unpinned " + a + ".", "No pin for " + a + ".");
    }

    private void export(Context ctx) throws Exception {
        site.requireAdmin(ctx);
        String file = ctx.pathParam("file");
        if (!file.matches("[0-9A-Fa-f]{40,64}\\.asc")) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, null, "No such key.");
        }
        var ring = s.pgp().cert(file.substring(0, file.length() - 4));
        if (ring.isEmpty()) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, null, "No such key.");
        }
        ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
        ctx.contentType("application/pgp-keys").result(PgpKeys.armor(ring.get().getEncoded()));
    }
}
