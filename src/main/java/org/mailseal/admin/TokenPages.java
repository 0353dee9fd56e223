package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** API tokens: the list, a new one (shown once, on the answer to the form; only its hash is kept), revoke. */
final class TokenPages {

    private final Site site;
    private final ApiTokens tokens;

    TokenPages(Site site, ApiTokens tokens) {
        this.site = site;
        this.tokens = tokens;
    }

    void register(RoutesConfig r) {
        r.get("/admin/tokens", ctx -> show(ctx, site.requireAdmin(ctx), null));
        r.post("/admin/tokens", this::create);
        r.post("/admin/tokens/revoke", this::revoke);
    }

    private void show(Context ctx, Viewer v, String fresh) throws Exception {
        List<View.Row> rows = new ArrayList<>();
        for (ApiTokens.Token t : tokens.list()) {
            rows.add(new View.Row(t.id(), List.of(View.cell(t.id()), View.cell(t.name()), View.cell(t.createdBy()),
                    View.cell(t.created().toString().substring(0, 19).replace('T', ' ')),
                    View.cell(t.revoked() == null ? "live" : "revoked " + t.revoked().toString().substring(0, 19).replace('T', ' '))),
                    t.revoked() == null ? List.of(View.post("Revoke", "/admin/tokens/revoke", Map.of("id", t.id()), "revoke")) : List.of()));
        }
        View.Builder p = View.of("API tokens", Site.notices(ctx));
        if (fresh != null) {
            p.pre("The new token: copy it now, it is not shown again", fresh);
        }
        p.table(null, "tokens", List.of("Id", "Name", "Made by", "Made (UTC)", "State", ""), rows);
        p.form("A new token (admin rights over /api/v1)", "token-create", "/admin/tokens", "Create", View.text("name", "What it is for", ""));
        site.show(ctx, v, p.build());
    }

    private void create(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String name = Site.field(ctx, "name");
        if (name.isEmpty() || name.length() > 200) {
            Site.redirect(ctx, "/admin/tokens", "Give the token a name (up to 200 characters).");
            return;
        }
        String token = tokens.create(name, v.username());
        site.audit(v, ctx, "token.create", name + " " + token.substring(3, 19));
        // shown on this answer only: a reload does not make another token, since a browser asks before posting again
        show(ctx, v, token);
    }

    private void revoke(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String id = Site.field(ctx, "id");
        boolean done = tokens.revoke(id);
        if (done) {
            site.audit(v, ctx, "token.revoke", id);
        }
        Site.redirect(ctx, "/admin/tokens", done ? "Revoked " + id + "." : "No live token " + id + ".");
    }
}
