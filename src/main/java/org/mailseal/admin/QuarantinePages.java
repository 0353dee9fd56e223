package org.mailseal.admin;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailseal.scan.Quarantine;

/**
 * The quarantine: the list (time, queue id, sender, recipients, Subject, why), one message's header section,
 * release (sent on through the running gateway, so it is encrypted as usual) and delete. The message body is
 * never shown.
 */
final class QuarantinePages {

    static final int MAX_HEADER = 64 * 1024;

    private final Site site;
    private final AdminServer.Services s;

    QuarantinePages(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/quarantine", this::list);
        r.get("/admin/quarantine/{id}", this::one);
        r.post("/admin/quarantine/release", this::release);
        r.post("/admin/quarantine/delete", this::delete);
    }

    private Quarantine q(Viewer v) {
        if (s.quarantine() == null) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, v, "There is no quarantine: this gateway holds no master key.");
        }
        return s.quarantine();
    }

    /** The Subject of a header section, unfolded and decoded (RFC 2047), or empty. */
    static String subject(byte[] header) {
        String h = new String(header, StandardCharsets.ISO_8859_1).replaceAll("\r?\n[ \t]+", " ");
        for (String line : h.split("\r?\n")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                String raw = line.substring(8).strip();
                try {
                    return jakarta.mail.internet.MimeUtility.decodeText(new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
                } catch (java.io.UnsupportedEncodingException e) {
                    return raw;
                }
            }
        }
        return "";
    }

    private void list(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        Quarantine q = q(v);
        List<View.Row> rows = new ArrayList<>();
        for (Quarantine.Entry e : q.list().stream().limit(500).toList()) {
            String subject;
            try {
                subject = subject(q.headerSection(e, MAX_HEADER));
            } catch (java.io.IOException damaged) {
                subject = "(unreadable: " + damaged.getMessage() + ")";
            }
            rows.add(new View.Row(e.id(), List.of(View.link(e.at().toString().substring(0, 19).replace('T', ' '), "/admin/quarantine/" + e.id()),
                    View.cell(e.queueId()), View.cell(e.from()), View.cell(String.join(", ", e.recipients())), View.cell(subject), View.cell(e.reason()),
                    View.cell(e.size())),
                    List.of(View.post("Release", "/admin/quarantine/release", Map.of("id", e.id()), "release"),
                            View.post("Delete", "/admin/quarantine/delete", Map.of("id", e.id()), "delete"))));
        }
        site.show(ctx, v, View.of("Quarantine", Site.notices(ctx))
                .table(null, "quarantine", List.of("Time (UTC)", "Queue id", "Sender", "Recipients", "Subject", "Why", "Size", ""), rows).build());
    }

    private Quarantine.Entry entry(Quarantine q, Viewer v, String id) throws Exception {
        if (!id.matches("[A-Za-z0-9_-]{1,100}")) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, v, "No such message.");
        }
        try {
            return q.entry(id);
        } catch (Exception e) {
            throw new Site.Refused(HttpStatus.NOT_FOUND, v, "No such message.");
        }
    }

    private void one(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        Quarantine q = q(v);
        Quarantine.Entry e = entry(q, v, ctx.pathParam("id"));
        String header = new String(q.headerSection(e, MAX_HEADER), StandardCharsets.UTF_8);
        site.show(ctx, v, View.of("Quarantined message " + e.id(), Site.notices(ctx))
                .table(null, "envelope", List.of("", ""), List.of(
                        new View.Row("queue", List.of(View.cell("Queue id"), View.cell(e.queueId())), List.of()),
                        new View.Row("from", List.of(View.cell("Sender"), View.cell(e.from())), List.of()),
                        new View.Row("to", List.of(View.cell("Recipients"), View.cell(String.join(", ", e.recipients()))), List.of()),
                        new View.Row("why", List.of(View.cell("Why"), View.cell(e.reason())), List.of(
                                View.post("Release", "/admin/quarantine/release", Map.of("id", e.id()), "release"),
                                View.post("Delete", "/admin/quarantine/delete", Map.of("id", e.id()), "delete")))))
                .pre("Header", header).build());
    }

    private void release(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        Quarantine q = q(v);
        Quarantine.Entry e = entry(q, v, Site.field(ctx, "id"));
        String reply;
        try {
            reply = s.releaser().release(e);
        } catch (Exception failed) {
            Site.redirect(ctx, "/admin/quarantine", "Not released: " + failed.getMessage());
            return;
        }
        site.audit(v, ctx, "quarantine.release", e.id() + " " + e.queueId());
        Site.redirect(ctx, "/admin/quarantine", "Released " + e.id() + ": " + reply);
    }

    private void delete(Context ctx) throws Exception {
        Viewer v = site.requireAdminPost(ctx);
        Quarantine q = q(v);
        String id = Site.field(ctx, "id");
        entry(q, v, id);
        boolean deleted = q.delete(id);
        site.outcome(v, ctx, deleted, "quarantine.delete", id, "/admin/quarantine", "Deleted " + id + ".", "No such message.");
    }
}
