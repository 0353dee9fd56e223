// SMTP load generator for mailseal's benchmarks. Run with the JDK's single-file launcher:
//   java bench/SmtpLoad.java --port 10025 --messages 2000 --concurrency 10 --size 4096
// Each worker opens one session per message (EHLO, MAIL, RCPT, DATA, QUIT), like smtp-source -s N.
// Prints messages/s and per-message latency (connect to 250 after DATA): p50, p99, max.
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

public class SmtpLoad {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        String host = a.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(a.getOrDefault("port", "10025"));
        int messages = Integer.parseInt(a.getOrDefault("messages", "1000"));
        int conc = Integer.parseInt(a.getOrDefault("concurrency", "10"));
        int size = Integer.parseInt(a.getOrDefault("size", "4096"));
        String rcpt = a.getOrDefault("to", "u@example.com");
        byte[] body = message(size);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long[] lat = new long[messages];
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < conc; w++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < messages) {
                    long s = System.nanoTime();
                    try {
                        if (!send(host, port, rcpt, body)) failed.incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                    lat[i] = System.nanoTime() - s;
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        Arrays.sort(lat);
        System.out.printf(Locale.ROOT, "messages=%d concurrency=%d size=%d failed=%d seconds=%.2f msgs_per_s=%.1f MB_per_s=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
                messages, conc, size, failed.get(), secs, messages / secs, messages * (double) body.length / secs / 1e6,
                lat[messages / 2] / 1e6, lat[(int) Math.min(messages - 1, Math.ceil(messages * 0.99) - 1)] / 1e6, lat[messages - 1] / 1e6);
        if (failed.get() > 0) System.exit(1);
    }

    static byte[] message(int size) {
        StringBuilder sb = new StringBuilder("From: load@bench.test\r\nTo: u@example.com\r\nSubject: load test\r\n\r\n");
        String line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
        while (sb.length() + line.length() <= size) sb.append(line);
        while (sb.length() < size - 2) sb.append('x');
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static boolean send(String host, int port, String rcpt, byte[] body) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(120_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 65536);
            if (!reply(in).startsWith("220")) return false;
            cmd(out, "EHLO load.bench.test");
            if (!reply(in).startsWith("250")) return false;
            cmd(out, "MAIL FROM:<load@bench.test>");
            if (!reply(in).startsWith("250")) return false;
            cmd(out, "RCPT TO:<" + rcpt + ">");
            if (!reply(in).startsWith("250")) return false;
            cmd(out, "DATA");
            if (!reply(in).startsWith("354")) return false;
            out.write(body);
            cmd(out, ".");
            boolean ok = reply(in).startsWith("250");
            cmd(out, "QUIT");
            reply(in);
            return ok;
        }
    }

    static void cmd(OutputStream out, String c) throws IOException {
        out.write((c + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    static String reply(BufferedReader in) throws IOException {
        String l;
        do {
            l = in.readLine();
            if (l == null) throw new EOFException();
        } while (l.length() > 3 && l.charAt(3) == '-');
        return l;
    }
}
