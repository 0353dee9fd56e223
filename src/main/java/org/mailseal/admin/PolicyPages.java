package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailseal.config.EncryptMode;
import org.mailseal.mail.Address;
import org.mailseal.policy.PolicyResolver;
import org.mailseal.policy.PolicyStore;

/**
 * Policy: for an address, each effective setting and where it comes from (built-in default, global,
 * domain, user), as {@code mailseal policy show} prints it, and the user's own overrides to set; the
 * global and domain levels are the configuration file's. And the "why (not) encrypted?" tool.
 */
final class PolicyPages {

    /** What a user may set on their own page, within what their domain allows. */
    static final List<String> SELF_SERVICE = List.of("encrypt", "preferredMethod", "sign");

    private final Site site;
    private final AdminServer.Services s;

    PolicyPages(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/policy", this::show);
        r.post("/admin/policy", this::set);
        r.get("/admin/why", this::why);
    }

    static String link(String email) {
        return "/admin/policy?email=" + java.net.URLEncoder.encode(email, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The effective settings of {@code email} as table rows: setting, value, source. */
    static List<View.Row> effective(AdminServer.Services s, Address a) throws Exception {
        List<View.Row> rows = new ArrayList<>();
        PolicyResolver.Effective e = new PolicyResolver(s.config(), new PolicyStore(s.ds())).resolve(a);
        e.values().forEach((k, v) -> rows.add(new View.Row(k, List.of(View.cell(k), View.cell(v.value()), View.cell(v.source())), List.of())));
        return rows;
    }

    private void show(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String email = ctx.queryParam("email") == null ? "" : ctx.queryParam("email").strip();
        View.Builder p = View.of("Policy", Site.notices(ctx));
        p.getForm(null, "policy-for", "/admin/policy", "Show", View.text("email", "Address", email));
        if (!email.isEmpty()) {
            Address a;
            try {
                a = Address.parse(email);
            } catch (IllegalArgumentException bad) {
                p.notice("Not an address: " + bad.getMessage());
                site.show(ctx, v, p.build());
                return;
            }
            p.table("Effective policy of " + a, "policy", List.of("Setting", "Value", "From"), effective(s, a));
            Map<String, String> own = new PolicyStore(s.ds()).get(a.toString());
            List<View.Field> fields = new ArrayList<>();
            fields.add(View.hidden("email", a.toString()));
            for (String k : PolicyResolver.SETTINGS) {
                fields.add(View.text(k, k, own.getOrDefault(k, "")));
            }
            p.form("The user's own settings (empty: inherit)", "policy-set", "/admin/policy", "Save", fields.toArray(View.Field[]::new));
        }
        site.show(ctx, v, p.build());
    }

    private void set(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        Address a = Address.parse(Site.field(ctx, "email"));
        Map<String, String> own = new PolicyStore(s.ds()).get(a.toString());
        List<String> changes = new ArrayList<>();
        try {
            for (String k : PolicyResolver.SETTINGS) {
                String val = Site.field(ctx, k);
                if (!val.isEmpty()) {
                    PolicyResolver.validate(k, val);
                }
                if (!val.equals(own.getOrDefault(k, ""))) {
                    changes.add(k);
                }
            }
        } catch (IllegalArgumentException bad) {
            Site.redirect(ctx, link(a.toString()), "Not saved: " + bad.getMessage());
            return;
        }
        PolicyStore store = new PolicyStore(s.ds());
        for (String k : changes) {
            String val = Site.field(ctx, k);
            store.set(a.toString(), k, val.isEmpty() ? null : val);
            site.audit(v, ctx, "policy.set", a + " " + k + "=" + val);
        }
        Site.redirect(ctx, link(a.toString()), changes.isEmpty() ? "Nothing changed." : "Saved: " + String.join(", ", changes) + ".");
    }

    /**
     * A user's own setting, if their domain allows it: {@code encrypt} only as strong as what they would
     * have without it or stronger (never < opportunistic < mandatory); {@code preferredMethod} and
     * {@code sign} freely. Returns why not, or null when set.
     */
    static String selfSet(AdminServer.Services s, Address a, String key, String value) throws Exception {
        if (!SELF_SERVICE.contains(key)) {
            return key + " is set by the administrator";
        }
        PolicyStore store = new PolicyStore(s.ds());
        if (value.isEmpty()) {
            store.set(a.toString(), key, null);
            return null;
        }
        PolicyResolver.validate(key, value);
        if (key.equals("encrypt")) {
            EncryptMode base = new PolicyResolver(s.config(), null).resolve(a).encrypt();
            if (strength(EncryptMode.parse(value)) < strength(base)) {
                return "your domain asks for encrypt=" + base.word() + "; you may only ask for more";
            }
        }
        store.set(a.toString(), key, value);
        return null;
    }

    private static int strength(EncryptMode m) {
        return switch (m) {
            case NEVER -> 0;
            case OPPORTUNISTIC -> 1;
            case MANDATORY -> 2;
        };
    }

    private void why(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String recipient = ctx.queryParam("recipient");
        String sender = ctx.queryParam("sender") == null ? "" : ctx.queryParam("sender").strip();
        Explainer.Explanation e = null;
        List<String> trace = List.of();
        String error = null;
        if (recipient != null && !recipient.isBlank()) {
            try {
                Address rcpt = Address.parse(recipient.strip());
                Address from = sender.isEmpty() ? null : Address.parse(sender);
                e = s.explainer().explain(rcpt);
                trace = trace(from, rcpt);
            } catch (IllegalArgumentException bad) {
                error = "Not an address: " + bad.getMessage();
            }
        }
        site.render(ctx, "why.jte", "viewer", v, "recipient", recipient == null ? "" : recipient, "sender", sender, "explanation", e,
                "trace", trace, "error", error);
    }

    /**
     * The steps before the policy's decision that the sender and the recipient's domain settle: which way the
     * mail goes, whether the sender may relay, and how outbound mail is signed.
     */
    List<String> trace(Address sender, Address rcpt) throws Exception {
        java.util.Set<String> local = java.util.Set.copyOf(s.config().domains().local());
        boolean inbound = local.contains(rcpt.domainLower());
        List<String> out = new ArrayList<>();
        out.add("The recipient's domain " + rcpt.domainLower() + (inbound ? " is local: the mail is inbound; the inbound policy decides."
                : " is not local: the mail is outbound; the outbound policy decides."));
        if (sender == null) {
            return out;
        }
        boolean senderLocal = local.contains(sender.domainLower());
        if (!senderLocal) {
            out.add("The sender " + sender + " is outside: its mail is scanned and its domain checked (SPF, DKIM, DMARC) before the policy"
                    + (inbound ? "." : "; an outside sender relays to another outside domain only from a trusted network (networks.trusted)."));
            return out;
        }
        String who = s.users().exists(sender.toString()) ? "a user of the store: it relays after SMTP AUTH"
                : new org.mailseal.auth.SenderAddresses(s.ds()).isRegistered(sender.toString()) ? "an address a user may send as (an alias)"
                : "in a local domain but neither a user nor an alias: only a trusted network (networks.trusted) may send as it";
        out.add("The sender " + sender + " is " + who + ".");
        if (!inbound) {
            PolicyResolver.Effective p = new PolicyResolver(s.config(), new PolicyStore(s.ds())).resolve(sender);
            out.add("Signing: sign=" + p.get("sign") + " (from " + p.source("sign") + ").");
        }
        return out;
    }
}
