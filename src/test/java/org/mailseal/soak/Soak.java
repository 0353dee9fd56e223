package org.mailseal.soak;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;
import org.mailseal.testkit.GatewayProcess;
import org.mailseal.testkit.TestGateway;

/**
 * The soak: N messages of mixed sizes, each with a unique id, through mailseal (its own JVM, encryption
 * mandatory) at a given concurrency to a sink, while faults are injected at random: the sink answers
 * 4xx, 5xx or 421, drops the connection mid-DATA or stalls past mailseal's timeout, mailseal is
 * restarted gracefully or killed with -9, and its data directory (a small tmpfs, when root may mount
 * one) fills up. The client retries every 4xx and every broken connection. At the end the ledger reconciles
 * every id: each one accepted with 250 must be at the sink, encrypted, and decrypt to its original
 * byte for byte; 5xx only while the sink was rejecting. Prints
 * {@code lost=0 duplicated=K plaintext_leaks=0}.
 *
 * <p>Run: {@code bench/soak.sh [messages] [concurrency] [maxMiB]}; a short run is {@code SoakTest}.
 */
public final class Soak {

    /** What one run found. */
    public record Result(int messages, int accepted, int rejected5xx, int wrongly5xx, int lost, int duplicated, int leaks, int mismatched,
                         int faults, Map<String, Integer> faultCounts, Duration took, List<String> problems) {
        public String line() {
            return "messages=" + messages + " accepted=" + accepted + " rejected_5xx=" + rejected5xx + " lost=" + lost + " duplicated=" + duplicated
                    + " plaintext_leaks=" + leaks + " mismatched=" + mismatched + " faults=" + faults + " " + faultCounts + " in "
                    + took.toSeconds() + " s";
        }

        public boolean ok() {
            return lost == 0 && leaks == 0 && mismatched == 0 && wrongly5xx == 0 && accepted + rejected5xx == messages;
        }
    }

    static final String MARKER = "SOAK-PLAINTEXT-MARKER";
    static final int USERS = 5;

    private final Path dir;
    private final int count;
    private final int concurrency;
    private final long maxSize;
    private final Random random = new Random(42);
    private Path dataFs;

    public Soak(Path dir, int count, int concurrency, long maxSize) {
        this(dir, count, concurrency, maxSize, null, 0);
    }

    /** The cluster soak: two nodes on the store {@code databaseYaml}, the client going round-robin, node A killed with -9 {@code kills} times. */
    public static Soak cluster(Path dir, int count, int concurrency, long maxSize, String databaseYaml, int kills) {
        return new Soak(dir, count, concurrency, maxSize, databaseYaml, kills);
    }

    private final String databaseYaml;
    private final int kills;

    private Soak(Path dir, int count, int concurrency, long maxSize, String databaseYaml, int kills) {
        this.dir = dir;
        this.count = count;
        this.concurrency = concurrency;
        this.maxSize = maxSize;
        this.databaseYaml = databaseYaml;
        this.kills = kills;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int c = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        long max = (args.length > 2 ? Long.parseLong(args[2]) : 50) * 1024 * 1024;
        Path d = Files.createTempDirectory("soak");
        Result r = new Soak(d, n, c, max).run();
        System.out.println(r.line());
        r.problems().stream().limit(20).forEach(p -> System.out.println("  " + p));
        System.exit(r.ok() ? 0 : 1);
    }

    /** Message size for index i: mostly small, some up to 5 MiB, a few at maxSize. */
    long sizeOf(int i) {
        Random r = new Random(i * 7919L);
        double p = r.nextDouble();
        long s;
        if (p < 0.70) {
            s = 1024 + r.nextInt(15 * 1024);
        } else if (p < 0.95) {
            s = 16 * 1024 + r.nextInt(1024 * 1024);
        } else if (p < 0.999 || maxSize <= 5L * 1024 * 1024) {
            s = 1024 * 1024 + r.nextInt(4 * 1024 * 1024);
        } else {
            s = maxSize;
        }
        return Math.min(s, maxSize);
    }

    /** The message with id i, regenerated the same every time (so the ledger need not keep it). */
    static byte[] message(int i, long size) {
        ByteArrayOutputStream b = new ByteArrayOutputStream((int) Math.min(size + 512, Integer.MAX_VALUE));
        String h = "From: load@internet.test\r\nTo: <u" + (i % USERS) + "@example.com>\r\nSubject: soak " + i + "\r\n"
                + "Message-ID: <soak-" + i + "@internet.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                + MARKER + " " + i + "\r\n";
        b.writeBytes(h.getBytes(StandardCharsets.US_ASCII));
        Random r = new Random(i);
        byte[] line = new byte[76];
        while (b.size() < size) {
            for (int k = 0; k < line.length; k++) {
                line[k] = (byte) ('a' + r.nextInt(26));
            }
            b.writeBytes(line);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    // ---- the run ----

    public Result run() throws Exception {
        long start = System.nanoTime();
        Files.createDirectories(dir);
        Sink sink = new Sink(Files.createDirectories(dir.resolve("sink")));
        int port = TestGateway.freePort();
        Path cfg = dir.resolve("mailseal.yml");
        // The data directory on its own small tmpfs (when root may mount), so the disk can be filled on purpose.
        Path dataMount = Files.createDirectories(dir.resolve("datafs"));
        boolean tmpfs = databaseYaml == null && org.mailseal.testkit.Cmd.run("mount", "-t", "tmpfs", "-o", "size="
                + Math.max(256, 40 * maxSize / (1024 * 1024)) + "m", "tmpfs", dataMount.toString()).code() == 0;
        this.dataFs = tmpfs ? dataMount : null;
        String master = TestGateway.masterKeys(dir, "soak master passphrase");
        java.util.function.BiFunction<Path, Integer, String> yaml = (data, p) -> {
            List<String> extra = new ArrayList<>(List.of("policy: {encrypt: mandatory, onMissingKey: generate, generateFor: any}", master,
                    "limits: {maxMessageSize: " + (maxSize + 1024 * 1024) + ", maxConnections: " + (concurrency + 20) + ", maxConnectionsPerClient: "
                            + (concurrency + 20) + ", shutdownTimeout: 20s}"));
            if (databaseYaml != null) {
                extra.add(databaseYaml);
            }
            return TestGateway.yaml(data, p, 0, sink.port(), extra.toArray(new String[0])).replace("dataDoneTimeout: 10s", "dataDoneTimeout: 8s");
        };
        Files.writeString(cfg, yaml.apply(dataMount.resolve("data"), port));
        int[] ports = {port};
        GatewayHolder second = null;
        if (databaseYaml != null) {
            // Node B: its own data dir and port, the same store.
            int portB = TestGateway.freePort();
            Path cfgB = dir.resolve("mailseal-b.yml");
            Files.writeString(cfgB, yaml.apply(dir.resolve("data-b"), portB));
            second = new GatewayHolder(cfgB, dir.resolve("b"), portB);
            Files.createDirectories(dir.resolve("b"));
            ports = new int[] {port, portB};
        }
        int[] targets = ports;
        Map<Integer, String> state = new ConcurrentHashMap<>();
        Map<Integer, Long> rejectedAt = new ConcurrentHashMap<>();
        List<long[]> rejectWindows = new CopyOnWriteArrayList<>();
        Map<String, Integer> faultCounts = new ConcurrentHashMap<>();
        AtomicBoolean loadDone = new AtomicBoolean();
        GatewayHolder gw = new GatewayHolder(cfg, dir, port);
        gw.start();
        if (second != null) {
            second.start();
        }
        // The last tenth of the load waits for one full round of faults, so a slow machine still sees every kind under traffic.
        java.util.concurrent.CountDownLatch oneRound = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger next = new AtomicInteger();
        Thread faults = databaseYaml != null
                ? new Thread(() -> killNodeA(gw, next, faultCounts, oneRound), "soak-faults")
                : new Thread(() -> injectFaults(sink, gw, loadDone, rejectWindows, faultCounts, oneRound), "soak-faults");
        faults.start();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        List<String> problems = new CopyOnWriteArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            clients.execute(() -> {
                for (int i; (i = next.getAndIncrement()) < count; ) {
                    try {
                        if (i >= count * 9 / 10 && !oneRound.await(10, TimeUnit.MINUTES)) {
                            problems.add("id " + i + ": no full round of faults within 10 minutes");
                        }
                        deliver(i, targets, state, rejectedAt);
                    } catch (Exception e) {
                        problems.add("id " + i + ": gave up: " + e);
                    }
                }
            });
        }
        clients.shutdown();
        clients.awaitTermination(6, TimeUnit.HOURS);
        loadDone.set(true);
        faults.join();
        gw.stop();
        if (second != null) {
            second.stop();
        }
        sink.close();
        Path dataCopy = dir.resolve("data-after");
        if (dataFs != null) {
            // Keep the key store for the ledger, then unmount.
            org.mailseal.testkit.Cmd.run("cp", "-a", dataFs.resolve("data").toString(), dataCopy.toString());
            org.mailseal.testkit.Cmd.run("umount", dataFs.toString());
            Files.writeString(cfg, Files.readString(cfg).replace(dataFs.resolve("data").toString(), dataCopy.toString()));
        }

        // ---- the ledger ----
        MailsealConfig config = ConfigLoader.load(cfg);
        // Every secret key of each user: nodes that meet a user without a key at the same moment may both make one.
        Map<String, List<PGPSecretKeyRing>> keys = new HashMap<>();
        try (Database db = Database.open(config)) {
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            PgpKeyStore ks = new PgpKeyStore(db.dataSource());
            for (int u = 0; u < USERS; u++) {
                String email = "u" + u + "@example.com";
                List<PGPSecretKeyRing> all = new ArrayList<>();
                for (PgpKeyStore.Entry en : ks.list(email)) {
                    ks.secret(en.fingerprint(), mk).ifPresent(all::add);
                }
                keys.put(email, all);
            }
        }
        Map<Integer, Integer> seen = new HashMap<>();
        int leaks = 0;
        int mismatched = 0;
        Pattern mid = Pattern.compile("Message-ID: <soak-(\\d+)@internet.test>");
        for (Path f : sink.stored()) {
            byte[] got = Files.readAllBytes(f);
            String head = new String(got, 0, Math.min(got.length, 8192), StandardCharsets.ISO_8859_1);
            Matcher m = mid.matcher(head);
            if (!m.find()) {
                problems.add(f.getFileName() + ": no soak Message-ID");
                continue;
            }
            int id = Integer.parseInt(m.group(1));
            seen.merge(id, 1, Integer::sum);
            String text = new String(got, StandardCharsets.ISO_8859_1);
            if (!head.contains("multipart/encrypted") || text.contains(MARKER)) {
                leaks++;
                problems.add("id " + id + ": PLAINTEXT at the sink");
                continue;
            }
            int b = text.indexOf("-----BEGIN PGP MESSAGE-----");
            int e = text.indexOf("-----END PGP MESSAGE-----") + 25;
            ByteArrayOutputStream clear = null;
            String why = "no key";
            for (PGPSecretKeyRing k : keys.getOrDefault("u" + (id % USERS) + "@example.com", List.of())) {
                ByteArrayOutputStream attempt = new ByteArrayOutputStream();
                try {
                    PgpDecryptor.decrypt(new ByteArrayInputStream(text.substring(b, e).getBytes(StandardCharsets.US_ASCII)), k, attempt);
                    clear = attempt;
                    break;
                } catch (Exception ex) {
                    why = ex.getMessage();
                }
            }
            if (clear == null) {
                mismatched++;
                problems.add("id " + id + ": does not decrypt: " + why);
                continue;
            }
            if (!java.util.Arrays.equals(original(clear.toByteArray()), message(id, sizeOf(id)))) {
                mismatched++;
                problems.add("id " + id + ": decrypted message differs from the original");
            }
        }
        int accepted = 0;
        int rejected = 0;
        int wrongly = 0;
        int lost = 0;
        int duplicated = 0;
        for (int i = 0; i < count; i++) {
            String s = state.getOrDefault(i, "none");
            int n = seen.getOrDefault(i, 0);
            if (s.equals("250")) {
                accepted++;
                if (n == 0) {
                    lost++;
                    problems.add("id " + i + ": LOST (250, not at the sink)");
                }
            } else if (s.equals("5xx")) {
                rejected++;
                long t = rejectedAt.get(i);
                // A 5xx is right only while (or just after) the sink rejected with 554.
                if (rejectWindows.stream().noneMatch(w -> t >= w[0] && t <= w[1] + 15_000_000_000L)) {
                    wrongly++;
                    problems.add("id " + i + ": 5xx outside any rejecting window");
                }
            } else {
                problems.add("id " + i + ": never accepted (" + s + ")");
            }
            duplicated += Math.max(0, n - 1);
        }
        int faultTotal = faultCounts.values().stream().mapToInt(Integer::intValue).sum();
        return new Result(count, accepted, rejected, wrongly, lost, duplicated, leaks, mismatched, faultTotal, Map.copyOf(faultCounts),
                Duration.ofNanos(System.nanoTime() - start), List.copyOf(problems));
    }

    /** The decrypted inner message without what encryption added: our Received, HP-Outer, X-Mailseal-Info and -Sealed, the markers. */
    static byte[] original(byte[] inner) throws IOException {
        InputStream in = new ByteArrayInputStream(inner);
        org.mailseal.mime.RawHeader h = org.mailseal.mime.RawHeader.read(in, 1 << 24);
        ByteArrayOutputStream out = new ByteArrayOutputStream(inner.length);
        boolean first = true;
        for (org.mailseal.mime.RawHeader.Field f : h.fields()) {
            if (first && f.is("Received")) {
                first = false;
                continue;
            }
            first = false;
            if (f.is("HP-Outer") || f.is("X-Mailseal-Info") || f.is("X-Mailseal-Sealed") || org.mailseal.testkit.ByteExact.ours(f)) {
                continue;
            }
            String raw = new String(f.raw(), StandardCharsets.ISO_8859_1);
            out.writeBytes(raw.replace(";\r\n\thp=\"cipher\"; protected-headers=\"v1\"", "").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        in.transferTo(out);
        return out.toByteArray();
    }

    /** Sends message i until it is accepted (250) or rejected (5xx); every 4xx and broken connection is retried. */
    void deliver(int i, int[] ports, Map<Integer, String> state, Map<Integer, Long> rejectedAt) throws Exception {
        byte[] msg = message(i, sizeOf(i));
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            attempt++;
            String reply;
            try {
                // round-robin over the nodes; a retry goes to the next one (as a sender's MTA tries the next MX)
                reply = smtp(ports[(i + attempt) % ports.length], "u" + (i % USERS) + "@example.com", msg);
            } catch (IOException e) {
                reply = "io " + e.getMessage();
            }
            if (reply.startsWith("250")) {
                state.put(i, "250");
                return;
            }
            if (reply.startsWith("5")) {
                state.put(i, "5xx");
                rejectedAt.put(i, System.nanoTime());
                return;
            }
            state.put(i, "retrying: " + reply);
            Thread.sleep(Math.min(5000, 200L * attempt));
        }
        throw new IOException("not accepted within 30 minutes: " + state.get(i));
    }

    static String smtp(int port, String rcpt, byte[] msg) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(700_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            String r = reply(in);
            if (!r.startsWith("220")) {
                return r;
            }
            for (String[] step : new String[][] {{"EHLO soak.test", "250"}, {"MAIL FROM:<load@internet.test>", "250"},
                {"RCPT TO:<" + rcpt + ">", "250"}, {"DATA", "354"}}) {
                out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                r = reply(in);
                if (!r.startsWith(step[1])) {
                    return r;
                }
            }
            boolean lineStart = true;
            for (byte x : msg) {
                if (lineStart && x == '.') {
                    out.write('.'); // RFC 5321 §4.5.2
                }
                out.write(x);
                lineStart = x == '\n';
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            r = reply(in);
            try {
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException ignored) {
                // the answer is what counts
            }
            return r;
        }
    }

    static String reply(InputStream in) throws IOException {
        String last;
        do {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            last = b.toString();
        } while (last.length() > 3 && last.charAt(3) == '-');
        return last;
    }

    // ---- faults ----

    void injectFaults(Sink sink, GatewayHolder gw, AtomicBoolean done, List<long[]> rejectWindows, Map<String, Integer> counts,
                      java.util.concurrent.CountDownLatch oneRound) {
        List<String> kinds = new ArrayList<>(List.of("sink-451-mail", "sink-451-data", "sink-421", "sink-drop-mid-data", "sink-554",
                "sink-stall", "restart-graceful", "kill-9"));
        if (dataFs != null) {
            kinds.add("disk-full");
        }
        try {
            // Every kind in turn, in a random order each round: a short run still sees all of them.
            for (int round = 0; !done.get(); round++) {
                if (round == kinds.size()) {
                    oneRound.countDown();
                }
                if (round % kinds.size() == 0) {
                    java.util.Collections.shuffle(kinds, random);
                }
                Thread.sleep(1500 + random.nextInt(2500));
                if (done.get()) {
                    return;
                }
                String k = kinds.get(round % kinds.size());
                counts.merge(k, 1, Integer::sum);
                switch (k) {
                    case "restart-graceful" -> gw.restart(false);
                    case "kill-9" -> gw.restart(true);
                    case "disk-full" -> {
                        Path filler = dataFs.resolve("filler");
                        org.mailseal.testkit.Cmd.run("dd", "if=/dev/zero", "of=" + filler, "bs=1M");
                        Thread.sleep(1000 + random.nextInt(1500));
                        Files.deleteIfExists(filler);
                    }
                    default -> {
                        long from = System.nanoTime();
                        sink.mode = k;
                        Thread.sleep(500 + random.nextInt(1500));
                        sink.mode = "ok";
                        if (k.equals("sink-554")) {
                            rejectWindows.add(new long[] {from, System.nanoTime()});
                        }
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("fault injection failed", e);
        } finally {
            oneRound.countDown(); // never leave the load waiting
        }
    }

    /** The cluster run's only fault: node A killed with -9 {@code kills} times under load (spread over the run), then started again. */
    void killNodeA(GatewayHolder a, AtomicInteger progress, Map<String, Integer> counts, java.util.concurrent.CountDownLatch allKills) {
        try {
            for (int k = 1; k <= kills; k++) {
                int at = count * k / (kills + 2);
                while (progress.get() < at) {
                    Thread.sleep(20);
                }
                a.restart(true);
                counts.merge("kill-9", 1, Integer::sum);
            }
        } catch (Exception e) {
            throw new IllegalStateException("fault injection failed", e);
        } finally {
            allKills.countDown();
        }
    }

    /** mailseal in its own JVM, restartable. */
    static final class GatewayHolder {
        final Path cfg;
        final Path dir;
        final int port;
        GatewayProcess process;
        int generation;

        GatewayHolder(Path cfg, Path dir, int port) {
            this.cfg = cfg;
            this.dir = dir;
            this.port = port;
        }

        synchronized void start() throws Exception {
            process = GatewayProcess.start(cfg, dir.resolve("gateway-" + (generation++) + ".log"), port);
        }

        synchronized void restart(boolean kill9) throws Exception {
            if (kill9) {
                process.kill9();
            } else {
                process.terminate(Duration.ofSeconds(60));
            }
            start();
        }

        synchronized void stop() throws Exception {
            process.terminate(Duration.ofSeconds(60));
        }
    }

    /** The next hop: stores what it accepts on disk; its mode makes it fail like a real MTA. */
    static final class Sink implements AutoCloseable {
        final ServerSocket server;
        final Path store;
        final ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "soak-sink");
            t.setDaemon(true);
            return t;
        });
        volatile String mode = "ok";
        final AtomicInteger seq = new AtomicInteger();

        Sink(Path store) throws IOException {
            this.store = store;
            this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        pool.execute(() -> session(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "soak-sink-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        List<Path> stored() throws IOException {
            try (var s = Files.list(store)) {
                return s.filter(p -> p.toString().endsWith(".eml")).sorted().toList();
            }
        }

        void session(Socket s) {
            try (s) {
                s.setSoTimeout(120_000);
                InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                OutputStream out = s.getOutputStream();
                if (mode.equals("sink-421")) {
                    write(out, "421 4.3.2 sink busy");
                    return;
                }
                write(out, "220 soak-sink ESMTP");
                while (true) {
                    String line = line(in);
                    if (line == null) {
                        return;
                    }
                    String u = line.toUpperCase(java.util.Locale.ROOT);
                    if (u.startsWith("EHLO")) {
                        write(out, "250-soak-sink\r\n250-8BITMIME\r\n250-SIZE 0\r\n250 PIPELINING");
                    } else if (u.startsWith("MAIL")) {
                        write(out, mode.equals("sink-451-mail") ? "451 4.3.0 sink: try later" : "250 2.1.0 ok");
                    } else if (u.startsWith("RCPT")) {
                        write(out, "250 2.1.5 ok");
                    } else if (u.startsWith("DATA")) {
                        write(out, "354 go ahead");
                        Path tmp = store.resolve("in-" + seq.incrementAndGet() + ".tmp");
                        String m = mode;
                        boolean whole = false;
                        try (OutputStream fo = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                            int lines = 0;
                            for (String l; (l = rawLine(in, fo)) != null; ) {
                                if (l.equals(".")) {
                                    whole = true;
                                    break;
                                }
                                if (m.equals("sink-drop-mid-data") && ++lines > 3) {
                                    break;
                                }
                            }
                        }
                        if (!whole) {
                            Files.deleteIfExists(tmp);
                            return; // dropped mid-DATA
                        }
                        switch (mode) {
                            case "sink-451-data" -> {
                                Files.delete(tmp);
                                write(out, "451 4.3.0 sink: temporary failure");
                            }
                            case "sink-554" -> {
                                Files.delete(tmp);
                                write(out, "554 5.7.0 sink rejects content");
                            }
                            case "sink-stall" -> {
                                // Took the message, but answers only after mailseal gave up (dataDoneTimeout 8 s): a duplicate later.
                                Files.move(tmp, store.resolve("msg-" + seq.incrementAndGet() + ".eml"));
                                try {
                                    Thread.sleep(12_000);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                                return;
                            }
                            default -> {
                                Files.move(tmp, store.resolve("msg-" + seq.incrementAndGet() + ".eml"));
                                write(out, "250 2.0.0 ok");
                            }
                        }
                    } else if (u.startsWith("RSET") || u.startsWith("NOOP")) {
                        write(out, "250 2.0.0 ok");
                    } else if (u.startsWith("QUIT")) {
                        write(out, "221 2.0.0 bye");
                        return;
                    } else {
                        write(out, "502 5.5.2 what");
                    }
                }
            } catch (IOException e) {
                // connection gone
            }
        }

        // One data line: written (dot-unstuffed, with its CRLF) unless it is the final "."; returns it without CRLF.
        static String rawLine(InputStream in, OutputStream fo) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(128);
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                if (c == '\n') {
                    break;
                }
            }
            if (b.size() == 0) {
                return null;
            }
            byte[] l = b.toByteArray();
            String s = new String(l, StandardCharsets.ISO_8859_1);
            String bare = s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s;
            if (bare.equals(".")) {
                return ".";
            }
            int off = l.length > 1 && l[0] == '.' ? 1 : 0;
            fo.write(l, off, l.length - off);
            return bare;
        }

        static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return c < 0 && b.length() == 0 ? null : b.toString();
        }

        static void write(OutputStream out, String s) throws IOException {
            out.write((s + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            server.close();
            pool.shutdownNow();
        }
    }
}
