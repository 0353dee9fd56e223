package org.mailseal.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.mailseal.config.MailsealConfig;
import org.mailseal.store.Database;

/**
 * {@code mailseal backup} and {@code mailseal restore}: one encrypted file ({@link SealedArchive}) holding
 * the whole store (users, keys, certificates and the CA, policy, DKIM keys, discovered keys and pins, as
 * portable table dumps), the data directory's own files (the TLS key and certificate made there, the
 * storage seal key, the quarantine, the Sent-copy queue, TLS reports), the files the config names (TLS and
 * WKD certificates and keys, trust anchors, a shared {@code quarantine.dir}) and the config itself. Not in it: the spool (proxy mode keeps
 * no mail after answering) and the master passphrase (it opens the backup by default; keep it elsewhere).
 *
 * <p>The content is a ZIP stream: {@code manifest.json} (format, versions, schema), {@code config.yml},
 * {@code db/NNN-<table>.json} in foreign-key order, {@code files/<path in the data dir>},
 * {@code external/<absolute path>}, and {@code sums.json} (rows per table, SHA-256 per file) last. A restore
 * reads the whole backup once to check it before it changes anything, then loads it into an empty store
 * migrated to the backup's schema version, and migrates the rest: a backup from an older mailseal restores
 * into a newer one.
 */
public final class Backup {

    /** The content format; a newer mailseal reads every older one. */
    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a backup says of itself. */
    public record Manifest(int format, String mailseal, String schema, String created, String hostname, String backend) {
    }

    /** What a check or a restore found: the manifest, rows per table, files (data dir and external). */
    public record Summary(Manifest manifest, Map<String, Long> tables, List<String> files, List<String> external, List<String> notes) {
    }

    private Backup() {
    }

    /** Writes a backup of the store {@code db} and the installation {@code cfg} (read from {@code configFile}) to {@code out}. */
    public static Summary write(MailsealConfig cfg, Path configFile, Database db, String mailsealVersion, Path out, char[] passphrase)
            throws IOException, SQLException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Map<String, Long> tables = new LinkedHashMap<>();
        Map<String, String> sums = new TreeMap<>();
        List<String> files = new ArrayList<>();
        List<String> external = new ArrayList<>();
        Manifest m;
        try (OutputStream sealed = SealedArchive.writer(new BufferedOutputStream(Files.newOutputStream(tmp), 65536), passphrase,
                cfg.keys().argon2MemoryKiB(), cfg.keys().argon2Iterations());
             ZipOutputStream zip = new ZipOutputStream(sealed)) {
            m = new Manifest(FORMAT, mailsealVersion, db.schemaVersion(), Instant.now().toString(), cfg.hostname(),
                    cfg.database().url() == null ? "h2" : "jdbc");
            entry(zip, "manifest.json", JSON.writeValueAsBytes(m));
            if (configFile != null) {
                entry(zip, "config.yml", Files.readAllBytes(configFile));
            }
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                c.setReadOnly(true);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ); // one consistent picture
                int i = 0;
                for (String t : TableDump.tables(c)) {
                    zip.putNextEntry(new ZipEntry(String.format("db/%03d-%s.json", i++, t)));
                    tables.put(t, TableDump.dump(c, t, new NoClose(zip)));
                    zip.closeEntry();
                }
                c.commit();
            }
            Path data = cfg.dataDir().toAbsolutePath();
            if (Files.isDirectory(data)) {
                try (Stream<Path> walk = Files.walk(data)) {
                    for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                        String rel = data.relativize(f).toString();
                        if (rel.startsWith("spool/") || rel.startsWith("db/") || rel.endsWith(".tmp")) {
                            continue;
                        }
                        sums.put("files/" + rel, copy(zip, "files/" + rel, f));
                        files.add(rel);
                    }
                }
            }
            List<Path> outside = new ArrayList<>(referencedFiles(cfg));
            if (cfg.quarantine().shared() && Files.isDirectory(cfg.quarantine().dir())
                    && !cfg.quarantine().dir().toAbsolutePath().normalize().startsWith(data)) {
                try (Stream<Path> walk = Files.walk(cfg.quarantine().dir())) {
                    walk.filter(Files::isRegularFile).sorted().forEach(outside::add); // a shared quarantine
                }
            }
            for (Path f : outside) {
                if (Files.isRegularFile(f) && !f.toAbsolutePath().startsWith(data)) {
                    String abs = f.toAbsolutePath().normalize().toString();
                    sums.put("external" + abs, copy(zip, "external" + abs, f));
                    external.add(abs);
                }
            }
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("tables", tables);
            all.put("files", sums);
            entry(zip, "sums.json", JSON.writeValueAsBytes(all));
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(m, tables, files, external, List.of());
    }

    /** The files outside the data dir that the config names and a restored installation needs. */
    static List<Path> referencedFiles(MailsealConfig cfg) {
        List<Path> out = new ArrayList<>();
        java.util.function.Consumer<Path> add = p -> {
            if (p != null) {
                out.add(p);
            }
        };
        add.accept(cfg.tls().certificate());
        add.accept(cfg.tls().privateKey());
        add.accept(cfg.wkd().certificate());
        add.accept(cfg.wkd().privateKey());
        cfg.smime().trustAnchors().forEach(add);
        cfg.smime().crlFiles().forEach(add);
        add.accept(cfg.relay().trustAnchors());
        add.accept(cfg.discovery().trustAnchors());
        add.accept(cfg.dns().trustAnchors());
        return out;
    }

    /** Reads the whole backup and checks it (every part's tag, the rows and files against sums.json); changes nothing. */
    public static Summary verify(Path file, char[] passphrase) throws IOException {
        try {
            return read(file, passphrase, null);
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** What {@link #restore} needs to know of the target. */
    public interface Target {
        /** The config to restore with, once the backup's own config.yml is known (written where there was none). */
        MailsealConfig config(byte[] backedUpConfig) throws IOException;
    }

    /**
     * Restores {@code file} into the installation {@code target} names: its data dir must be empty or absent and
     * its database without tables. Checks the whole backup first.
     */
    public static Summary restore(Path file, char[] passphrase, Target target) throws IOException, SQLException {
        verify(file, passphrase);
        return read(file, passphrase, target);
    }

    private static Summary read(Path file, char[] passphrase, Target target) throws IOException, SQLException {
        Manifest m = null;
        Map<String, Long> tables = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        List<String> external = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, String> seen = new TreeMap<>();
        Map<String, Object> sums = null;
        MailsealConfig cfg = null;
        Database db = null;
        Connection c = null;
        try (InputStream in = SealedArchive.reader(new BufferedInputStream(Files.newInputStream(file), 65536), passphrase);
             ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName();
                if (m == null && !name.equals("manifest.json")) {
                    throw new SealedArchive.Refused("backup: no manifest first");
                }
                if (name.equals("manifest.json")) {
                    m = JSON.readValue(zip.readNBytes(1 << 20), Manifest.class);
                    if (m.format() > FORMAT) {
                        throw new SealedArchive.Refused("backup format " + m.format() + " is newer than this mailseal reads (" + FORMAT + ")");
                    }
                } else if (name.equals("config.yml")) {
                    byte[] text = zip.readNBytes(1 << 20);
                    if (target != null) {
                        cfg = target.config(text);
                        Path data = cfg.dataDir().toAbsolutePath();
                        if (Files.isDirectory(data)) {
                            try (Stream<Path> l = Files.list(data)) {
                                if (l.findAny().isPresent()) {
                                    throw new IOException("restore: the data dir " + data + " is not empty (move it away first)");
                                }
                            }
                        }
                        db = Database.open(cfg, m.schema());
                        c = db.dataSource().getConnection();
                        for (String t : TableDump.tables(c)) {
                            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM " + t)) {
                                rs.next();
                                if (rs.getLong(1) > 0) {
                                    throw new IOException("restore: the database is not empty (table " + t + " has rows); restore into a new one");
                                }
                            }
                        }
                        c.setAutoCommit(false);
                    }
                } else if (name.startsWith("db/")) {
                    var loaded = TableDump.load(c, new NoCloseIn(zip), c != null);
                    tables.put(loaded.getKey(), loaded.getValue());
                } else if (name.startsWith("files/") || name.startsWith("external/")) {
                    String rel = name.substring(name.indexOf('/') + 1);
                    MessageDigest sha = sha256();
                    Path dest = null;
                    Path tmp = null;
                    if (target != null && cfg != null) {
                        dest = destination(cfg, name, rel);
                        if (dest != null) {
                            Files.createDirectories(dest.getParent());
                            tmp = dest.resolveSibling(dest.getFileName() + ".restore-tmp");
                            Files.deleteIfExists(tmp);
                            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                        }
                    }
                    try (OutputStream o = tmp != null ? Files.newOutputStream(tmp) : OutputStream.nullOutputStream()) {
                        byte[] buf = new byte[65536];
                        for (int n; (n = zip.read(buf)) > 0; ) {
                            sha.update(buf, 0, n);
                            o.write(buf, 0, n);
                        }
                    }
                    seen.put(name, HexFormat.of().formatHex(sha.digest()));
                    if (name.startsWith("files/")) {
                        files.add(rel);
                    } else {
                        external.add("/" + rel);
                    }
                    if (tmp != null) {
                        if (name.startsWith("external/") && Files.exists(dest)) {
                            if (Files.mismatch(tmp, dest) != -1) {
                                notes.add(dest + " exists and differs from the backup's copy: kept as it is");
                            }
                            Files.delete(tmp);
                        } else {
                            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        }
                    } else if (target != null && name.startsWith("external/")) {
                        notes.add("/" + rel + ": not named by the restored config, not written");
                    }
                } else if (name.equals("sums.json")) {
                    sums = JSON.readValue(zip.readNBytes(1 << 24), Map.class);
                } else {
                    throw new SealedArchive.Refused("backup: unknown part " + name);
                }
            }
            if (m == null || sums == null) {
                throw new SealedArchive.Refused("backup: incomplete");
            }
            Map<String, Object> wantTables = castMap(sums.get("tables"));
            Map<String, Object> wantFiles = castMap(sums.get("files"));
            for (Map.Entry<String, Object> w : wantTables.entrySet()) {
                if (!Long.valueOf(((Number) w.getValue()).longValue()).equals(tables.get(w.getKey()))) {
                    throw new SealedArchive.Refused("backup: table " + w.getKey() + " incomplete");
                }
            }
            if (!new TreeMap<>(wantFiles).equals(new TreeMap<String, Object>(seen))) {
                throw new SealedArchive.Refused("backup: files do not match their sums");
            }
            if (c != null) {
                c.commit();
                c.close();
                c = null;
                db.migrate();
            }
            return new Summary(m, tables, files, external, notes);
        } finally {
            if (c != null) {
                try {
                    c.rollback();
                    c.close();
                } catch (SQLException ignored) {
                    // the connection is gone
                }
            }
            if (db != null) {
                db.close();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Where a file of the backup goes: inside the data dir, or an external file the restored config names. */
    private static Path destination(MailsealConfig cfg, String name, String rel) throws IOException {
        if (name.startsWith("files/")) {
            Path data = cfg.dataDir().toAbsolutePath().normalize();
            Path p = data.resolve(rel).normalize();
            if (!p.startsWith(data) || rel.isEmpty()) {
                throw new SealedArchive.Refused("backup: a file outside the data dir: " + rel);
            }
            return p;
        }
        Path p = Path.of("/" + rel).normalize();
        for (Path r : referencedFiles(cfg)) {
            if (r.toAbsolutePath().normalize().equals(p)) {
                return p;
            }
        }
        if (cfg.quarantine().shared() && p.startsWith(cfg.quarantine().dir().toAbsolutePath().normalize())) {
            return p;
        }
        return null;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    private static String copy(ZipOutputStream zip, String name, Path f) throws IOException {
        MessageDigest sha = sha256();
        zip.putNextEntry(new ZipEntry(name));
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                zip.write(buf, 0, n);
            }
        }
        zip.closeEntry();
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Lets a JSON writer finish without closing the ZIP stream under it. */
    private static final class NoClose extends FilterOutputStream {
        NoClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    private static final class NoCloseIn extends FilterInputStream {
        NoCloseIn(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the ZIP entry is closed by the next getNextEntry
        }
    }
}
