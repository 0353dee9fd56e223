package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.maillog.MailLog;

/**
 * The mail log, searched by queue id, address (any text of a line) and time, each message shown as its
 * life in Postfix-style lines; and the audit log of changes made through the web and the API.
 */
final class LogPages {

    private final Site site;
    private final AdminServer.Services s;

    LogPages(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/log", this::mailLog);
        r.get("/admin/audit", this::audit);
    }

    /** A {@code datetime-local} value (UTC), or null. */
    static Instant time(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(v.strip()).toInstant(ZoneOffset.UTC);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("not a time: " + v.strip() + " (YYYY-MM-DDTHH:MM)");
        }
    }

    private void mailLog(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String q = ctx.queryParam("q") == null ? "" : ctx.queryParam("q").strip();
        String from = ctx.queryParam("from") == null ? "" : ctx.queryParam("from");
        String to = ctx.queryParam("to") == null ? "" : ctx.queryParam("to");
        View.Builder p = View.of("Mail log", Site.notices(ctx));
        p.getForm(null, "log-search", "/admin/log", "Search", View.text("q", "Queue id or address", q),
                new View.Field("from", "From (UTC)", "datetime-local", from, List.of()), new View.Field("to", "To (UTC)", "datetime-local", to, List.of()));
        if (!q.isEmpty() || !from.isBlank() || !to.isBlank()) {
            List<MailLog.Message> found;
            try {
                found = s.mailLog().search(new MailLog.Query(q, time(from), time(to)));
            } catch (IllegalArgumentException bad) {
                p.notice(bad.getMessage());
                site.show(ctx, v, p.build());
                return;
            }
            if (found.isEmpty()) {
                p.text(null, "No message matched.");
            }
            for (MailLog.Message m : found) {
                StringBuilder b = new StringBuilder();
                for (MailLog.Line l : m.lines()) {
                    b.append(l.at().toString().substring(0, 23).replace('T', ' ')).append(' ').append(l.node()).append(": ").append(l.text()).append('\n');
                }
                p.pre(m.queueId(), b.toString());
            }
        }
        site.show(ctx, v, p.build());
    }

    private void audit(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        List<View.Row> rows = new ArrayList<>();
        for (Audit.Entry e : site.audit.latest(500)) {
            rows.add(new View.Row(String.valueOf(e.at().toEpochMilli()), List.of(View.cell(e.at().toString().substring(0, 19).replace('T', ' ')),
                    View.cell(e.actor()), View.cell(e.action()), View.cell(e.target()), View.cell(e.client())), List.of()));
        }
        site.show(ctx, v, View.of("Audit log", Site.notices(ctx)).table("The last 500 changes", "audit",
                List.of("Time (UTC)", "Who", "What", "On", "From"), rows).build());
    }
}
