package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailseal.auth.SenderAddresses;
import org.mailseal.auth.UserStore;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.imap.ImapLogins;
import org.mailseal.keys.CertDirectory;

/**
 * Users: the list (add, delete, issue a certificate), and one user's page: reset the password, the further
 * addresses (aliases) they may send as, and their login to the cloud IMAP server for Sent copies.
 */
final class UserPages {

    private final Site site;
    private final AdminServer.Services s;
    private final List<String> admins;

    UserPages(Site site, AdminServer.Services s, List<String> admins) {
        this.site = site;
        this.s = s;
        this.admins = admins;
    }

    void register(RoutesConfig r) {
        r.get("/admin/users", ctx -> list(ctx, site.requireAdmin(ctx)));
        r.post("/admin/users", this::add);
        r.post("/admin/users/delete", this::delete);
        r.post("/admin/users/certificate", this::issueCertificate);
        r.get("/admin/user", this::one);
        r.post("/admin/user/password", this::password);
        r.post("/admin/user/addresses", this::addresses);
        r.post("/admin/user/imap-login", this::imapLogin);
    }

    static boolean isAddress(String user) {
        return user.matches("[^@\\s<>\"]+@[^@\\s<>\"]+\\.[^@\\s<>\"]+");
    }

    private void list(Context ctx, Viewer v) throws Exception {
        List<UserRow> rows = new ArrayList<>();
        for (String u : s.users().list()) {
            rows.add(new UserRow(u, admins.contains(u), s.pgp().list(u).size(), s.smime().list(u).size()));
        }
        List<String> n = Site.notices(ctx);
        site.render(ctx, "users.jte", "viewer", v, "users", rows, "notice", n.isEmpty() ? null : n.get(0));
    }

    private void add(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = UserStore.normalise(Site.field(ctx, "username"));
        String password = String.valueOf(ctx.formParam("password"));
        if (!isAddress(user)) {
            Site.redirect(ctx, "/admin/users", "Not an address: " + user);
            return;
        }
        if (password.length() < 8) {
            Site.redirect(ctx, "/admin/users", "The password must have at least 8 characters.");
            return;
        }
        boolean added = s.users().add(user, password);
        if (added) {
            site.audit(v, ctx, "user.add", user);
        }
        Site.redirect(ctx, "/admin/users", added ? "Added " + user + "." : user + " exists already.");
    }

    private void delete(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = UserStore.normalise(Site.field(ctx, "username"));
        boolean deleted = s.users().delete(user);
        if (deleted) {
            site.sessions.endAll(user);
            site.audit(v, ctx, "user.delete", user);
        }
        Site.redirect(ctx, "/admin/users", deleted ? "Deleted " + user + "." : "No user " + user + ".");
    }

    private void issueCertificate(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = UserStore.normalise(Site.field(ctx, "username"));
        if (!s.users().exists(user)) {
            Site.redirect(ctx, "/admin/users", "No user " + user + ".");
            return;
        }
        if (s.smime().ca().isEmpty()) {
            Site.redirect(ctx, "/admin/users", "The built-in CA is not set up (see the CA page).");
            return;
        }
        CertDirectory.ValidCert c = s.certs().issue(user, null, null);
        site.audit(v, ctx, "certificate.issue", user + " " + c.fingerprint());
        Site.redirect(ctx, "/admin/users", "Issued a certificate for " + user + ": " + SmimeCerts.describe(c.cert()) + ".");
    }

    private String user(Context ctx, String field) throws Exception {
        String user = UserStore.normalise(field);
        if (!s.users().exists(user)) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, site.viewer(ctx).orElse(null), "No user " + user + ".");
        }
        return user;
    }

    private static String page(String user) {
        return "/admin/user?u=" + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void one(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String user = user(ctx, String.valueOf(ctx.queryParam("u")));
        View.Builder p = View.of("User " + user, Site.notices(ctx));
        List<View.Row> rows = new ArrayList<>();
        for (String a : new SenderAddresses(s.ds()).of(user)) {
            rows.add(new View.Row(a, List.of(View.cell(a)), List.of(View.post("Remove", "/admin/user/addresses",
                    Map.of("u", user, "remove", a), "remove"))));
        }
        p.table("Further addresses it may send as", "addresses", List.of("Address", ""), rows);
        p.form(null, "add-address", "/admin/user/addresses", "Add the address", View.hidden("u", user), View.text("add", "Address", ""));
        p.form("Reset the password", "reset-password", "/admin/user/password", "Set the password", View.hidden("u", user),
                View.input("password", "New password (8 characters or more)", "password"));
        ImapLogins logins = new ImapLogins(s.ds());
        p.text("Login to the cloud IMAP server (for encrypted Sent copies)", logins.has(user) ? "Stored (sealed under the master key)." : "None stored.");
        p.form(null, "imap-login", "/admin/user/imap-login", "Store the login", View.hidden("u", user), View.text("login", "IMAP login name", user),
                View.input("password", "IMAP password", "password"));
        if (logins.has(user)) {
            p.form(null, "imap-login-delete", "/admin/user/imap-login", "Remove the stored login", View.hidden("u", user), View.hidden("delete", "yes"));
        }
        p.text("Policy", "See and set this user's encryption policy on the Policy page.");
        site.show(ctx, v, p.build());
    }

    private void password(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = user(ctx, Site.field(ctx, "u"));
        String password = String.valueOf(ctx.formParam("password"));
        if (password.length() < 8) {
            Site.redirect(ctx, page(user), "The password must have at least 8 characters.");
            return;
        }
        s.users().setPassword(user, password);
        site.sessions.endAll(user);
        site.audit(v, ctx, "user.passwd", user);
        Site.redirect(ctx, page(user), "Password changed; the user's web sessions ended.");
    }

    private void addresses(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = user(ctx, Site.field(ctx, "u"));
        SenderAddresses a = new SenderAddresses(s.ds());
        String add = Site.field(ctx, "add");
        String remove = Site.field(ctx, "remove");
        String notice;
        if (!add.isEmpty()) {
            try {
                org.mailseal.mail.Address.parse(add);
            } catch (IllegalArgumentException e) {
                Site.redirect(ctx, page(user), "Not an address: " + add);
                return;
            }
            a.add(user, add);
            site.audit(v, ctx, "user.address.add", user + " " + add);
            notice = "Added " + add + ".";
        } else {
            boolean removed = a.remove(user, remove);
            if (removed) {
                site.audit(v, ctx, "user.address.remove", user + " " + remove);
            }
            notice = removed ? "Removed " + remove + "." : "No such address.";
        }
        Site.redirect(ctx, page(user), notice);
    }

    private void imapLogin(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String user = user(ctx, Site.field(ctx, "u"));
        Site.redirect(ctx, page(user), storeImapLogin(site, s, v, ctx, user));
    }

    /** Stores or deletes (field {@code delete}) a user's IMAP login; the answer for the page. Shared with self-service. */
    static String storeImapLogin(Site site, AdminServer.Services s, Viewer v, Context ctx, String user) throws Exception {
        ImapLogins logins = new ImapLogins(s.ds());
        if (!Site.field(ctx, "delete").isEmpty()) {
            boolean removed = logins.delete(user);
            if (removed) {
                site.audit(v, ctx, "user.imap-login.delete", user);
            }
            return removed ? "Removed the IMAP login." : "No IMAP login was stored.";
        }
        if (s.master() == null) {
            return "This gateway holds no master key: it cannot seal an IMAP password.";
        }
        String login = Site.field(ctx, "login");
        char[] password = String.valueOf(ctx.formParam("password")).toCharArray();
        if (password.length == 0) {
            return "Give the IMAP password.";
        }
        logins.put(user, login.isEmpty() ? user : login, password, s.master());
        java.util.Arrays.fill(password, '\0');
        site.audit(v, ctx, "user.imap-login.set", user);
        return "Stored the IMAP login (sealed under the master key).";
    }
}
