package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.keys.SmimeStore;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.metrics.MetricHistory;

/**
 * The admin's first page: messages in, out, encrypted, deferred and rejected per minute over this node's
 * last day (a chart drawn on the server), the totals, the scanners' and the key store's health, and warnings
 * for certificates, keys and the CA that expire soon.
 */
final class DashboardPage {

    static final Duration WARN_USER = Duration.ofDays(30);
    static final Duration WARN_CA = Duration.ofDays(90);

    private final Site site;
    private final AdminServer.Services s;

    DashboardPage(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin", this::show);
    }

    private void show(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        View.Builder page = View.of("Dashboard", Site.notices(ctx));
        List<String> warnings = warnings(Instant.now());
        warnings.forEach(w -> page.notice("Warning: " + w));
        List<MetricHistory.Point> points = s.history().points();
        page.chart("Messages per minute (this node, since " + points.get(0).at().toString().substring(0, 16).replace('T', ' ') + " UTC)",
                Chart.messages(points));
        GatewayMetrics.Totals t = s.metrics().totals();
        page.table("Since start", "totals", List.of("Received", "Relayed", "Encrypted", "Deferred", "Rejected"),
                List.of(new View.Row("totals", List.of(View.cell(t.received()), View.cell(t.relayed()), View.cell(t.encrypted()),
                        View.cell(t.deferred()), View.cell(t.rejected())), List.of())));
        List<View.Row> store = new ArrayList<>();
        store.add(row("Users", s.users().list().size()));
        store.add(row("OpenPGP keys", s.pgp().list(null).size()));
        store.add(row("S/MIME certificates", s.smime().list(null).size()));
        store.add(row("Built-in CA", s.smime().ca().map(ca -> "valid until " + day(ca.cert().getNotAfter().toInstant()))
                .orElse("not set up (CA page)")));
        store.add(row("Private keys", s.master() == null ? "none held (encrypt-only)"
                : s.config().keys().pkcs11() != null ? "in the PKCS#11 token; the rest sealed under the master key" : "sealed under the master key, unlocked"));
        store.add(row("Quarantine", s.quarantine() == null ? "off (no master key)" : s.quarantine().list().size() + " messages"));
        page.table("Key store", "store", List.of("", ""), store);
        List<View.Row> scanners = new ArrayList<>();
        for (GatewayMetrics.ScannerHealth h : s.metrics().scanners()) {
            scanners.add(new View.Row(h.scanner(), List.of(View.cell(h.scanner()), View.cell(h.verdicts()), View.cell(h.errors()),
                    View.cell(h.errors() == 0 ? "ok" : h.errors() * 2 > h.verdicts() ? "failing" : "errors")), List.of()));
        }
        page.table("Scanners (since start)", "scanners", List.of("Scanner", "Verdicts", "No verdict", "Health"), scanners);
        site.show(ctx, v, page.build());
    }

    /** What expires soon: the CA within 90 days, user certificates and keys within 30. */
    List<String> warnings(Instant now) throws Exception {
        List<String> out = new ArrayList<>();
        var ca = s.smime().ca();
        if (ca.isPresent() && ca.get().cert().getNotAfter().toInstant().isBefore(now.plus(WARN_CA))) {
            out.add("the built-in CA expires on " + day(ca.get().cert().getNotAfter().toInstant()));
        }
        for (SmimeStore.Entry e : s.smime().list(null)) {
            if (e.notAfter().isBefore(now.plus(WARN_USER))) {
                out.add("S/MIME certificate " + e.fingerprint().substring(0, 16) + "… of " + String.join(", ", e.emails())
                        + (e.notAfter().isBefore(now) ? " expired on " : " expires on ") + day(e.notAfter()));
            }
        }
        for (PgpKeyStore.Entry e : s.pgp().list(null)) {
            if (e.expires() != null && e.expires().isBefore(now.plus(WARN_USER))) {
                out.add("OpenPGP key " + e.fingerprint().substring(0, 16) + "… of " + String.join(", ", e.emails())
                        + (e.expires().isBefore(now) ? " expired on " : " expires on ") + day(e.expires()));
            }
        }
        return out;
    }

    private static View.Row row(String k, Object v) {
        return new View.Row(k, List.of(View.cell(k), View.cell(v)), List.of());
    }

    static String day(Instant i) {
        return i.toString().substring(0, 10);
    }
}
