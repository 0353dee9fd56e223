package org.mailseal.scan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mailseal.config.Spamd;

/**
 * spamd client, {@code SYMBOLS SPAMC/1.5}: the request carries Content-length and User, the reply
 * {@code SPAMD/1.1 0 EX_OK}, {@code Spam: True ; 15.0 / 5.0} and the rule names. A non-zero status is
 * a failure, never clean.
 */
public final class SpamdClient implements Scanner {

    private final Spamd config;

    public SpamdClient(Spamd config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "spamd";
    }

    @Override
    public Verdict scan(Request request, Path message) throws Exception {
        long start = System.nanoTime();
        long size = Files.size(message);
        if (size > config.maxSize()) {
            return Verdict.failed(name(), "message of " + size + " bytes is over scan.spamd.maxSize (" + config.maxSize() + ")", since(start));
        }
        int timeout = (int) config.timeout().toMillis();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(config.address().host(), config.address().port()), timeout);
            s.setSoTimeout(timeout);
            OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream(), 65536);
            out.write(("SYMBOLS SPAMC/1.5\r\nContent-length: " + size + "\r\n"
                    + (config.user() != null ? "User: " + config.user() + "\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            try (InputStream m = Files.newInputStream(message)) {
                m.transferTo(out);
            }
            out.flush();
            s.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String status = in.readLine();
            if (status == null || !status.startsWith("SPAMD/")) {
                return Verdict.failed(name(), "bad reply: " + status, since(start));
            }
            String[] st = status.split(" ", 3);
            if (st.length < 2 || !st[1].equals("0")) {
                return Verdict.failed(name(), "spamd: " + status, since(start));
            }
            Boolean spam = null;
            double score = 0;
            double required = 0;
            for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
                if (h.regionMatches(true, 0, "Spam:", 0, 5)) {
                    // Spam: True ; 15.0 / 5.0
                    String v = h.substring(5).trim();
                    String[] parts = v.split(";");
                    spam = parts[0].trim().equalsIgnoreCase("true") || parts[0].trim().equalsIgnoreCase("yes");
                    String[] sc = parts[1].split("/");
                    score = Double.parseDouble(sc[0].trim());
                    required = Double.parseDouble(sc[1].trim());
                }
            }
            if (spam == null) {
                return Verdict.failed(name(), "spamd reply without a Spam: header", since(start));
            }
            StringBuilder body = new StringBuilder();
            for (String l; (l = in.readLine()) != null; ) {
                body.append(l);
            }
            List<String> symbols = new ArrayList<>();
            for (String sym : body.toString().split(",")) {
                if (!sym.isBlank()) {
                    symbols.add(sym.trim());
                }
            }
            return new Verdict(name(), spam ? Verdict.Kind.SPAM : Verdict.Kind.CLEAN, null, score, required, symbols, null, since(start));
        } catch (IOException e) {
            return Verdict.failed(name(), "spamd at " + config.address() + ": " + e.getMessage(), since(start));
        }
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
