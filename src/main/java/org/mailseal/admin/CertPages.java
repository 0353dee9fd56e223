package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mailseal.crypto.smime.CertificateAuthority;
import org.mailseal.crypto.smime.Pkcs12File;
import org.mailseal.crypto.smime.SmimeCerts;
import org.mailseal.keys.CertDirectory;
import org.mailseal.keys.SmimeImport;
import org.mailseal.keys.SmimeStore;
import org.mailseal.keys.UserPkcs12;

/**
 * S/MIME certificates (list, search, import from PEM, DER, PKCS#7 or PKCS#12, export, delete) and the
 * built-in CA (set up, its certificate, issue, revoke, the CRL, a user's PKCS#12).
 */
final class CertPages {

    private final Site site;
    private final AdminServer.Services s;

    CertPages(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/certs", this::list);
        r.post("/admin/certs", this::importCerts);
        r.post("/admin/certs/delete", this::delete);
        r.get("/admin/certs/{file}", this::export);
        r.get("/admin/ca", this::ca);
        r.post("/admin/ca/init", this::init);
        r.post("/admin/ca/issue", this::issue);
        r.post("/admin/ca/revoke", this::revoke);
        r.post("/admin/ca/pkcs12", this::pkcs12);
        r.get("/admin/ca/ca.pem", this::caCert);
        r.get("/admin/ca/ca.crl", this::crl);
    }

    static String describe(SmimeStore.Entry e) {
        return e.origin() + (e.hasKey() ? ", private key held" : "");
    }

    private void list(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String q = ctx.queryParam("q") == null ? "" : ctx.queryParam("q").strip().toLowerCase(Locale.ROOT);
        List<View.Row> rows = new ArrayList<>();
        for (SmimeStore.Entry e : s.smime().list(null)) {
            if (!q.isEmpty() && !(e.fingerprint().toLowerCase(Locale.ROOT).contains(q) || e.subject().toLowerCase(Locale.ROOT).contains(q)
                    || e.emails().stream().anyMatch(m -> m.contains(q)))) {
                continue;
            }
            rows.add(new View.Row(e.fingerprint(), List.of(View.cell(e.fingerprint().substring(0, 16) + "…"), View.cell(String.join(", ", e.emails())),
                    View.cell(e.subject()), View.cell(e.algorithm()), View.cell(DashboardPage.day(e.notAfter())), View.cell(describe(e))),
                    List.of(View.get("Export", "/admin/certs/" + e.fingerprint() + ".pem", "export"),
                            View.post("Delete", "/admin/certs/delete", Map.of("fingerprint", e.fingerprint()), "delete"))));
        }
        for (org.mailseal.keys.DiscoveredKeys.Entry e : s.discovered().list()) {
            if (e.kind().equals("smime")) {
                rows.add(new View.Row(e.fingerprint(), List.of(View.cell(e.fingerprint().substring(0, 16) + "…"), View.cell(e.email()), View.cell(""),
                        View.cell(""), View.cell(""), View.cell("discovered: " + e.source())), List.of()));
            }
        }
        View.Builder p = View.of("S/MIME certificates", Site.notices(ctx));
        p.getForm(null, "cert-search", "/admin/certs", "Search", View.text("q", "Search", q));
        p.table(null, "certs", List.of("SHA-256", "Addresses", "Subject", "Algorithm", "Valid until", "Source", ""), rows);
        p.upload("Import certificates", "cert-import", "/admin/certs", "Import",
                View.input("file", "PEM, DER, PKCS#7 or PKCS#12 file", "file"),
                new View.Field("text", "or paste PEM", "textarea", "", List.of()),
                View.input("p12password", "The PKCS#12 file's password (only for PKCS#12)", "password"));
        site.show(ctx, v, p.build());
    }

    private void importCerts(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        byte[] data = Site.uploadOrText(ctx, "/admin/certs");
        if (data == null) {
            return;
        }
        if (data.length == 0) {
            Site.redirect(ctx, "/admin/certs", "Choose a file or paste a certificate.");
            return;
        }
        String pw = ctx.formParam("p12password");
        SmimeImport.Result r;
        try {
            SmimeCerts.Bundle b = SmimeCerts.read(data, pw == null || pw.isEmpty() ? null : pw.toCharArray());
            r = SmimeImport.run(s.smime(), s.certs(), b, s.master(), s.config().encryptOnly());
        } catch (java.io.IOException | IllegalArgumentException e) {
            Site.redirect(ctx, "/admin/certs", "Not imported: " + e.getMessage());
            return;
        }
        List<String> notices = new ArrayList<>();
        for (SmimeImport.Imported i : r.imported()) {
            site.audit(v, ctx, "certificate.import", i.fingerprint() + " " + String.join(",", i.emails()));
            notices.add("Imported " + i.fingerprint() + (i.withKey() ? " with its private key" : "") + " for " + String.join(", ", i.emails()) + ".");
        }
        r.refused().forEach(why -> notices.add("Refused: " + why));
        Site.redirectAll(ctx, "/admin/certs", notices);
    }

    private void delete(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String fpr = Site.field(ctx, "fingerprint").replace(":", "").toUpperCase(Locale.ROOT);
        boolean deleted = s.smime().delete(fpr);
        site.outcome(v, ctx, deleted, "certificate.delete", fpr, "/admin/certs", "Deleted " + fpr + ".", "No certificate " + fpr + ".");
    }

    private void export(Context ctx) throws Exception {
        site.requireAdmin(ctx);
        String file = ctx.pathParam("file");
        if (!file.matches("[0-9A-Fa-f]{64}\\.pem")) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, null, "No such certificate.");
        }
        Optional<X509Certificate> c = s.smime().cert(file.substring(0, 64));
        if (c.isEmpty()) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, null, "No such certificate.");
        }
        ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
        ctx.contentType("application/pem-certificate-chain").result(SmimeCerts.pem("CERTIFICATE", c.get().getEncoded()));
    }

    // ---- the CA ----

    private void ca(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        View.Builder p = View.of("Certificate authority", Site.notices(ctx));
        Optional<SmimeStore.Ca> ca = s.smime().ca();
        if (ca.isEmpty()) {
            p.text(null, "The built-in CA is not set up. It issues S/MIME certificates to users; its key is sealed under the master key"
                    + (s.config().keys().pkcs11() != null ? " (or kept in the PKCS#11 token)." : "."));
            p.form("Set up the CA", "ca-init", "/admin/ca/init", "Create the CA", View.select("algo", "Key", "rsa3072", List.of("rsa3072", "p256")),
                    new View.Field("days", "Valid for (days)", "number", "3650", List.of()));
            site.show(ctx, v, p.build());
            return;
        }
        X509Certificate c = ca.get().cert();
        p.table(null, "ca", List.of("", ""), List.of(
                new View.Row("subject", List.of(View.cell("Subject"), View.cell(c.getSubjectX500Principal().getName())), List.of()),
                new View.Row("key", List.of(View.cell("Key"), View.cell(SmimeCerts.keyAlgorithm(c))), List.of()),
                new View.Row("valid", List.of(View.cell("Valid"), View.cell(DashboardPage.day(c.getNotBefore().toInstant()) + " to "
                        + DashboardPage.day(c.getNotAfter().toInstant()))), List.of()),
                new View.Row("sha256", List.of(View.cell("SHA-256"), View.cell(SmimeCerts.fingerprint(c))), List.of()),
                new View.Row("files", List.of(View.link("CA certificate (PEM)", "/admin/ca/ca.pem"), View.link("CRL (PEM)", "/admin/ca/ca.crl")), List.of())));
        List<View.Row> issued = new ArrayList<>();
        java.util.Set<java.math.BigInteger> revoked = new java.util.HashSet<>();
        s.smime().revoked().forEach(r -> revoked.add(r.serial()));
        for (SmimeStore.Entry e : s.smime().list(null)) {
            if (!e.issued()) {
                continue;
            }
            boolean isRevoked = revoked.contains(new java.math.BigInteger(e.serial(), 16));
            issued.add(new View.Row(e.fingerprint(), List.of(View.cell(String.join(", ", e.emails())), View.cell(e.serial()),
                    View.cell(DashboardPage.day(e.notAfter())), View.cell(isRevoked ? "revoked" : "valid")),
                    isRevoked ? List.of() : List.of(View.post("Revoke", "/admin/ca/revoke", Map.of("fingerprint", e.fingerprint()), "revoke"))));
        }
        p.table("Issued certificates", "issued", List.of("Addresses", "Serial", "Valid until", "State", ""), issued);
        p.form("Issue a certificate", "ca-issue", "/admin/ca/issue", "Issue", View.text("email", "Address", ""),
                View.select("algo", "Key", "", List.of("", "rsa3072", "p256")), new View.Field("days", "Valid for (days, empty: ca.validity)", "number", "", List.of()));
        p.form("Revoke every certificate of an address", "ca-revoke", "/admin/ca/revoke", "Revoke", View.text("email", "Address", ""));
        p.form("A user's certificate and private key as PKCS#12", "ca-pkcs12", "/admin/ca/pkcs12", "Download", View.text("email", "Address", ""),
                View.input("password", "A password for the file (8 characters or more)", "password"),
                View.select("profile", "For", "modern", List.of("modern", "legacy")));
        site.show(ctx, v, p.build());
    }

    private void init(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        if (s.smime().ca().isPresent()) {
            Site.redirect(ctx, "/admin/ca", "The CA exists already.");
            return;
        }
        int days = Site.field(ctx, "days").isEmpty() ? 3650 : Integer.parseInt(Site.field(ctx, "days"));
        if (days < 1 || days > 36500) {
            Site.redirect(ctx, "/admin/ca", "Valid for 1 to 36500 days.");
            return;
        }
        X509Certificate ca;
        if (s.config().keys().pkcs11() != null) {
            ca = s.certs().initCaInToken(s.config().ca().name(), Duration.ofDays(days));
        } else {
            if (s.master() == null) {
                Site.redirect(ctx, "/admin/ca", "This gateway holds no master key: it cannot keep a CA key.");
                return;
            }
            KeyPair kp = CertificateAuthority.keyPair(CertificateAuthority.Algo.parse(Site.field(ctx, "algo")));
            ca = CertificateAuthority.createCa(kp, s.config().ca().name(), Duration.ofDays(days));
            s.smime().initCa(ca, kp.getPrivate(), s.master());
        }
        site.audit(v, ctx, "ca.init", SmimeCerts.fingerprint(ca));
        Site.redirect(ctx, "/admin/ca", "Created the CA " + ca.getSubjectX500Principal().getName() + ".");
    }

    private void issue(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String email = Site.field(ctx, "email");
        String algo = Site.field(ctx, "algo");
        String days = Site.field(ctx, "days");
        CertDirectory.ValidCert c;
        try {
            org.mailseal.mail.Address.parse(email);
            c = s.certs().issue(email, days.isEmpty() ? null : Integer.valueOf(days), algo.isEmpty() ? null : algo);
        } catch (IllegalArgumentException | org.mailseal.crypto.KeyStoreException e) {
            Site.redirect(ctx, "/admin/ca", "Not issued: " + e.getMessage());
            return;
        }
        site.audit(v, ctx, "certificate.issue", email + " " + c.fingerprint());
        Site.redirect(ctx, "/admin/ca", "Issued " + c.fingerprint() + " for " + email + ", valid until "
                + DashboardPage.day(c.cert().getNotAfter().toInstant()) + ".");
    }

    private void revoke(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String email = Site.field(ctx, "email");
        String fpr = Site.field(ctx, "fingerprint");
        List<SmimeStore.Entry> done;
        try {
            done = s.smime().revokeIssued(email.isEmpty() ? null : email, fpr.isEmpty() ? null : fpr);
        } catch (IllegalArgumentException e) {
            Site.redirect(ctx, "/admin/ca", e.getMessage());
            return;
        }
        for (SmimeStore.Entry e : done) {
            site.audit(v, ctx, "certificate.revoke", e.fingerprint() + " serial " + e.serial());
        }
        Site.redirect(ctx, "/admin/ca", done.isEmpty() ? "No certificate of this CA matched." : "Revoked " + done.size() + " certificate(s).");
    }

    private void pkcs12(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        String email = Site.field(ctx, "email");
        char[] pw = String.valueOf(ctx.formParam("password")).toCharArray();
        if (pw.length < 8) {
            Site.redirect(ctx, "/admin/ca", "The file's password must have at least 8 characters.");
            return;
        }
        if (s.master() == null) {
            Site.redirect(ctx, "/admin/ca", "This gateway holds no private keys.");
            return;
        }
        Pkcs12File.Profile profile = "legacy".equals(ctx.formParam("profile")) ? Pkcs12File.Profile.LEGACY : Pkcs12File.Profile.MODERN;
        var made = UserPkcs12.export(s.smime(), s.master(), email, pw, profile);
        java.util.Arrays.fill(pw, '\0');
        if (made.isEmpty()) {
            Site.redirect(ctx, "/admin/ca", "No certificate with a private key for " + email + ".");
            return;
        }
        site.audit(v, ctx, "pkcs12.export", email + " " + SmimeCerts.fingerprint(made.get().certificate()));
        ctx.header("Content-Disposition", "attachment; filename=\"" + email.replaceAll("[^A-Za-z0-9@._-]", "_") + ".p12\"");
        ctx.contentType("application/pkcs12").result(made.get().p12());
    }

    private void caCert(Context ctx) throws Exception {
        site.requireAdmin(ctx);
        SmimeStore.Ca ca = s.smime().ca().orElseThrow(() -> new Site.Refused(HttpStatus.NOT_FOUND, null, "No CA."));
        ctx.header("Content-Disposition", "attachment; filename=\"ca.pem\"");
        ctx.contentType("application/x-pem-file").result(SmimeCerts.pem("CERTIFICATE", ca.cert().getEncoded()));
    }

    private void crl(Context ctx) throws Exception {
        site.requireAdmin(ctx);
        if (s.smime().ca().isEmpty()) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, null, "No CA.");
        }
        ctx.header("Content-Disposition", "attachment; filename=\"ca.crl\"");
        ctx.contentType("application/x-pem-file").result(SmimeCerts.pem("X509 CRL", s.certs().currentCrl().getEncoded()));
    }
}
