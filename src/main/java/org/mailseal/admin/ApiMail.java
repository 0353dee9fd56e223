package org.mailseal.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.HttpStatus;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mailseal.dns.DnsResolver;
import org.mailseal.keys.DkimKeys;
import org.mailseal.mail.Address;
import org.mailseal.mailauth.dkim.DkimAlgorithm;
import org.mailseal.scan.Quarantine;

/** The API's quarantine, DKIM keys and PDF passwords. */
final class ApiMail {

    private final AdminServer.Services s;
    private final Audit audit;

    ApiMail(AdminServer.Services s, Audit audit) {
        this.s = s;
        this.audit = audit;
    }

    private Quarantine q() {
        if (s.quarantine() == null) {
            throw Api.notFound("no quarantine: this gateway holds no master key");
        }
        return s.quarantine();
    }

    private Quarantine.Entry entry(String id) {
        if (!id.matches("[A-Za-z0-9_-]{1,100}")) {
            throw Api.notFound("no such entry");
        }
        try {
            return q().entry(id);
        } catch (Api.Failure f) {
            throw f;
        } catch (Exception e) {
            throw Api.notFound("no such entry");
        }
    }

    private static Map<String, Object> dkim(DkimKeys.Entry e) {
        return Api.map("domain", e.domain(), "selector", e.selector(), "algorithm", e.algorithm().tag(), "state", e.state().name().toLowerCase(java.util.Locale.ROOT),
                "dnsName", e.dnsName(), "record", e.record(), "created", e.created().toString());
    }

    void add(Map<String, Api.Op> ops) {
        ops.put("GET /api/v1/quarantine", (ctx, c) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Quarantine.Entry e : q().list()) {
                out.add(Api.map("id", e.id(), "at", e.at().toString(), "queueId", e.queueId(), "from", e.from(), "recipients", e.recipients(),
                        "reason", e.reason(), "size", e.size()));
            }
            Api.json(ctx, HttpStatus.OK, out);
        });
        ops.put("GET /api/v1/quarantine/{id}", (ctx, c) -> {
            Quarantine.Entry e = entry(ctx.pathParam("id"));
            audit.record(c.actor(), "quarantine.show", e.id(), c.client());
            ctx.contentType("message/rfc822");
            try (OutputStream out = ctx.outputStream()) {
                q().open(e, out);
            }
        });
        ops.put("POST /api/v1/quarantine/{id}/release", (ctx, c) -> {
            Quarantine.Entry e = entry(ctx.pathParam("id"));
            String reply = s.releaser().release(e);
            audit.record(c.actor(), "quarantine.release", e.id() + " " + e.queueId(), c.client());
            Api.json(ctx, HttpStatus.OK, Api.map("id", e.id(), "reply", reply));
        });
        ops.put("DELETE /api/v1/quarantine/{id}", (ctx, c) -> {
            Quarantine.Entry e = entry(ctx.pathParam("id"));
            q().delete(e.id());
            audit.record(c.actor(), "quarantine.delete", e.id(), c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("POST /api/v1/quarantine/purge", (ctx, c) -> {
            String older = Api.text(Api.body(ctx), "olderThan", false);
            Duration d = older != null ? org.mailseal.config.Durations.parseDuration(older) : s.config().quarantine().retention();
            int n = q().purge(d);
            audit.record(c.actor(), "quarantine.purge", n + " older than " + d, c.client());
            Api.json(ctx, HttpStatus.OK, Api.map("deleted", n, "olderThan", d.toString()));
        });
        ops.put("GET /api/v1/dkim", (ctx, c) ->
                Api.json(ctx, HttpStatus.OK, new DkimKeys(s.ds()).list(ctx.queryParam("domain")).stream().map(ApiMail::dkim).toList()));
        ops.put("POST /api/v1/dkim", (ctx, c) -> {
            JsonNode b = Api.body(ctx);
            String domain = Api.text(b, "domain", true).toLowerCase(java.util.Locale.ROOT);
            String algorithm = Api.text(b, "algorithm", false);
            String selector = Api.text(b, "selector", false);
            boolean activate = b.path("activate").asBoolean(false);
            List<DkimAlgorithm> algs = DkimAlgorithm.choice(algorithm);
            if (selector != null && algs.size() > 1) {
                throw new IllegalArgumentException("a selector names one key: give algorithm rsa or ed25519 with it");
            }
            if (s.master() == null) {
                throw new Api.Failure(HttpStatus.CONFLICT, "this gateway holds no master key (encrypt-only)");
            }
            DkimKeys keys = new DkimKeys(s.ds());
            List<Map<String, Object>> out = new ArrayList<>();
            for (DkimAlgorithm a : algs) {
                DkimKeys.Entry e = keys.generate(domain, selector != null ? selector : DkimKeys.defaultSelector(a, Instant.now()), a, activate, s.master());
                audit.record(c.actor(), "dkim.generate", e.domain() + " " + e.selector(), c.client());
                out.add(dkim(e));
            }
            Api.json(ctx, HttpStatus.CREATED, out);
        });
        ops.put("POST /api/v1/dkim/{domain}/{selector}/activate", (ctx, c) -> {
            String domain = ctx.pathParam("domain");
            String selector = ctx.pathParam("selector");
            DkimKeys keys = new DkimKeys(s.ds());
            DkimKeys.Entry e = keys.list(domain).stream().filter(x -> x.selector().equals(selector)).findFirst()
                    .orElseThrow(() -> Api.notFound(domain + " has no key under " + selector));
            if (!Api.body(ctx).path("noDnsCheck").asBoolean(false)) {
                DnsResolver.Answer<String> a = new DnsResolver(s.config().dns()).txt(e.dnsName());
                if (!org.mailseal.mailauth.dkim.DkimKeyRecord.publishes(a.records(), e.publicKey())) {
                    throw new Api.Failure(HttpStatus.CONFLICT, "DNS does not serve this key at " + e.dnsName() + " ("
                            + (a.status() == DnsResolver.Status.FOUND ? "another record" : a.reason()) + "); publish: " + e.record());
                }
            }
            audit.record(c.actor(), "dkim.activate", domain + " " + selector, c.client());
            Api.json(ctx, HttpStatus.OK, dkim(keys.activate(domain, selector)));
        });
        ops.put("DELETE /api/v1/dkim/{domain}/{selector}", (ctx, c) -> {
            if (!new DkimKeys(s.ds()).delete(ctx.pathParam("domain"), ctx.pathParam("selector"))) {
                throw Api.notFound("no such key that is not signing");
            }
            audit.record(c.actor(), "dkim.delete", ctx.pathParam("domain") + " " + ctx.pathParam("selector"), c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("PUT /api/v1/pdf-passwords/{email}", (ctx, c) -> {
            Address a = Address.parse(ctx.pathParam("email"));
            char[] pw = Api.text(Api.body(ctx), "password", true).toCharArray();
            try {
                if (pw.length < 12) {
                    throw new IllegalArgumentException("the PDF password must have at least 12 characters (PDF key derivation is cheap)");
                }
                if (s.master() == null) {
                    throw new Api.Failure(HttpStatus.CONFLICT, "this gateway holds no master key");
                }
                boolean replaced = new org.mailseal.keys.PdfPasswords(s.ds()).put(a.toString(), pw, s.master());
                audit.record(c.actor(), "pdf.password", a.toString(), c.client());
                Api.json(ctx, HttpStatus.OK, Api.map("email", a.toString(), "replaced", replaced));
            } finally {
                java.util.Arrays.fill(pw, '\0');
            }
        });
        ops.put("DELETE /api/v1/pdf-passwords/{email}", (ctx, c) -> {
            Address a = Address.parse(ctx.pathParam("email"));
            if (!new org.mailseal.keys.PdfPasswords(s.ds()).delete(a.toString())) {
                throw Api.notFound("no PDF password set for " + a);
            }
            audit.record(c.actor(), "pdf.password.delete", a.toString(), c.client());
            ctx.status(HttpStatus.NO_CONTENT);
        });
        ops.put("POST /api/v1/pdf-passwords/{email}/derive", (ctx, c) -> {
            Address a = Address.parse(ctx.pathParam("email"));
            String ref = Api.text(Api.body(ctx), "reference", true).strip();
            if (!ref.matches("[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")) {
                throw new IllegalArgumentException("a PDF reference looks like ABCD-EFGH-JKLM (got '" + ref + "')");
            }
            if (s.master() == null) {
                throw new Api.Failure(HttpStatus.CONFLICT, "this gateway holds no master key");
            }
            byte[] secret = new org.mailseal.keys.PdfSecrets(s.ds()).find(a.toString(), s.master())
                    .orElseThrow(() -> Api.notFound("no PDF with a derived password was sent to " + a));
            char[] pw = org.mailseal.crypto.pdf.DerivedPassword.derive(secret, ref);
            java.util.Arrays.fill(secret, (byte) 0);
            audit.record(c.actor(), "pdf.derive", a + " " + ref, c.client());
            Api.json(ctx, HttpStatus.OK, Api.map("email", a.toString(), "reference", ref, "password", new String(pw)));
            java.util.Arrays.fill(pw, '\0');
        });
        ops.put("POST /api/v1/pdf/render", (ctx, c) -> {
            String pw = ctx.header("X-Pdf-Password");
            if (pw == null || pw.length() < 8) {
                throw new IllegalArgumentException("X-Pdf-Password: the PDF's password, at least 8 characters");
            }
            Path tmp = Files.createTempFile(Files.createDirectories(s.config().dataDir().resolve("tmp")), "render", ".eml");
            try {
                try (java.io.InputStream in = ctx.bodyInputStream()) {
                    if (Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING) > s.config().limits().maxMessageSize()) {
                        throw new Api.Failure(HttpStatus.CONTENT_TOO_LARGE, "larger than limits.maxMessageSize");
                    }
                }
                Path pdf = Files.createTempFile(tmp.getParent(), "render", ".pdf");
                try {
                    try (OutputStream out = Files.newOutputStream(pdf)) {
                        org.mailseal.crypto.pdf.SealedPdf.write(() -> Files.newInputStream(tmp), out, pw.toCharArray(), "true".equals(ctx.queryParam("attachOriginal")));
                    }
                    // streamed from the open file, which is already unlinked (nothing stays behind)
                    ctx.contentType("application/pdf").result(Files.newInputStream(pdf));
                } finally {
                    Files.deleteIfExists(pdf);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
    }
}
