package org.mailseal.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The running configuration, read-only, as YAML with every default filled in; the value of any setting whose
 * name speaks of a secret (password, passphrase, secret, token, key material) is masked. Change it in the
 * file and restart (or reload) the gateway.
 */
final class ConfigPage {

    static final String MASK = "********";

    private final Site site;
    private final AdminServer.Services s;

    ConfigPage(Site site, AdminServer.Services s) {
        this.site = site;
        this.s = s;
    }

    void register(RoutesConfig r) {
        r.get("/admin/config", this::show);
    }

    private void show(Context ctx) throws Exception {
        Viewer v = site.requireAdmin(ctx);
        String yaml = new ObjectMapper(new YAMLFactory()).writeValueAsString(tree(s.config()));
        site.show(ctx, v, View.of("Configuration", Site.notices(ctx))
                .text(null, "The running configuration with every default filled in; secrets are masked. It is changed in the file, not here.")
                .pre(null, yaml).build());
    }

    /** Whether a setting's name says it holds a secret (its path is shown when it is a file: a path is no secret). */
    static boolean secret(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return (n.contains("password") || n.contains("passphrase") || n.contains("secret") || n.contains("token") || n.equals("pin"))
                && !n.endsWith("file");
    }

    /** A password inside a URL (a JDBC {@code password=} parameter, or {@code user:password@host}) is masked too. */
    static String maskUrl(String v) {
        return v.replaceAll("(?i)(password=)[^&;]*", "$1" + MASK).replaceAll("(//[^/:@\\s]+:)[^@/\\s]+@", "$1" + MASK + "@");
    }

    /** A record as nested maps and lists of strings, with secrets masked. */
    static Object tree(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                Object val;
                try {
                    val = c.getAccessor().invoke(r);
                } catch (ReflectiveOperationException e) {
                    val = "?";
                }
                m.put(c.getName(), secret(c.getName()) && val != null ? MASK : tree(val));
            }
            return m;
        }
        if (o instanceof Map<?, ?> map) {
            Map<String, Object> m = new LinkedHashMap<>();
            map.forEach((k, val) -> m.put(String.valueOf(k), secret(String.valueOf(k)) && val != null ? MASK : tree(val)));
            return m;
        }
        if (o instanceof Collection<?> c) {
            List<Object> l = new ArrayList<>();
            c.forEach(x -> l.add(tree(x)));
            return l;
        }
        if (o instanceof char[] || o instanceof byte[]) {
            return MASK;
        }
        if (o instanceof Boolean || o instanceof Number) {
            return o;
        }
        return maskUrl(String.valueOf(o));
    }
}
