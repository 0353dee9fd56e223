package org.mailseal.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A next hop for tests: a small ESMTP server that stores each accepted message with its envelope
 * commands and raw (un-dot-stuffed) bytes, and can be told to misbehave.
 */
public final class CapturingSink implements AutoCloseable {

    /** How the sink answers. */
    public enum Mode { OK, GREETING_421, MAIL_451, DATA_451, DATA_554, DROP_MID_DATA, STALL_AFTER_DATA }

    /** One message as received. */
    public record Received(List<String> commands, String mailFrom, List<String> rcptTo, byte[] data) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sink");
        t.setDaemon(true);
        return t;
    });
    public final List<Received> messages = new CopyOnWriteArrayList<>();
    public final AtomicInteger connections = new AtomicInteger();
    private volatile Mode mode = Mode.OK;
    /** When set, message data goes to files in this directory instead of memory (for huge messages). */
    public volatile java.nio.file.Path spillDir;
    /** Delay before answering the end of DATA (a slow next hop). */
    public volatile int dataDelayMillis;
    /** Set when the sink has read a whole message and is about to answer. */
    public final java.util.concurrent.atomic.AtomicInteger dataComplete = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Function<String, String> rcptRule = r -> null;
    private volatile List<String> extensions = List.of("PIPELINING", "SIZE 104857600", "8BITMIME", "SMTPUTF8", "DSN",
            "ENHANCEDSTATUSCODES", "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");

    public CapturingSink() throws IOException {
        this(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    private CapturingSink(ServerSocket server) {
        this.server = server;
        Thread t = new Thread(this::accept, "sink-accept");
        t.setDaemon(true);
        t.start();
    }

    /** A sink on a given port, or null if the port is taken. */
    public static CapturingSink onPort(int port) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            return new CapturingSink(s);
        } catch (IOException e) {
            return null;
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public void mode(Mode m) {
        this.mode = m;
    }

    /** A reply line (e.g. "550 5.1.1 no such user") for recipients it matches, or null to accept. */
    public void rcptRule(Function<String, String> rule) {
        this.rcptRule = rule;
    }

    public void extensions(List<String> ext) {
        this.extensions = List.copyOf(ext);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                pool.execute(() -> session(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void session(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            if (mode == Mode.GREETING_421) {
                write(out, "421 4.3.2 sink busy");
                return;
            }
            write(out, "220 sink.test ESMTP");
            List<String> commands = new ArrayList<>();
            String from = null;
            List<String> rcpts = new ArrayList<>();
            while (true) {
                String line = readLine(in);
                if (line == null) {
                    return;
                }
                commands.add(line);
                String u = line.toUpperCase();
                if (u.startsWith("EHLO")) {
                    StringBuilder sb = new StringBuilder("250-sink.test\r\n");
                    for (int i = 0; i < extensions.size(); i++) {
                        sb.append(i == extensions.size() - 1 ? "250 " : "250-").append(extensions.get(i)).append("\r\n");
                    }
                    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } else if (u.startsWith("HELO") || u.startsWith("XFORWARD") || u.startsWith("NOOP")) {
                    write(out, "250 2.0.0 ok");
                } else if (u.startsWith("RSET")) {
                    from = null;
                    rcpts.clear();
                    commands.clear();
                    write(out, "250 2.0.0 ok");
                } else if (u.startsWith("MAIL")) {
                    if (mode == Mode.MAIL_451) {
                        write(out, "451 4.3.0 sink says try later");
                        continue;
                    }
                    from = line;
                    write(out, "250 2.1.0 ok");
                } else if (u.startsWith("RCPT")) {
                    String verdict = rcptRule.apply(line);
                    if (verdict != null) {
                        write(out, verdict);
                    } else {
                        rcpts.add(line);
                        write(out, "250 2.1.5 ok");
                    }
                } else if (u.equals("DATA")) {
                    if (rcpts.isEmpty()) {
                        write(out, "554 5.5.1 no valid recipients");
                        continue;
                    }
                    write(out, "354 go ahead");
                    if (spillDir != null) {
                        java.nio.file.Path f = spillDir.resolve("msg-" + System.nanoTime());
                        try (OutputStream fo = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(f), 1 << 16)) {
                            if (!spill(in, fo)) {
                                return;
                            }
                        }
                        dataComplete.incrementAndGet();
                        messages.add(new Received(List.copyOf(commands), from, List.copyOf(rcpts), f.toString().getBytes(StandardCharsets.UTF_8)));
                        write(out, "250 2.0.0 Ok: spilled");
                        from = null;
                        rcpts.clear();
                        commands.clear();
                        continue;
                    }
                    ByteArrayOutputStream data = new ByteArrayOutputStream();
                    int lines = 0;
                    while (true) {
                        String l = readRawLine(in, data);
                        if (l == null) {
                            return; // dropped: nothing stored
                        }
                        if (mode == Mode.DROP_MID_DATA && ++lines > 2) {
                            return;
                        }
                        if (l.equals(".")) {
                            break;
                        }
                    }
                    byte[] raw = unstuff(data.toByteArray());
                    dataComplete.incrementAndGet();
                    if (dataDelayMillis > 0) {
                        Thread.sleep(dataDelayMillis);
                    }
                    switch (mode) {
                        case DATA_451 -> write(out, "451 4.3.0 sink temporary failure");
                        case DATA_554 -> write(out, "554 5.7.0 sink rejects content");
                        case STALL_AFTER_DATA -> {
                            Thread.sleep(60_000);
                            return;
                        }
                        default -> {
                            messages.add(new Received(List.copyOf(commands), from, List.copyOf(rcpts), raw));
                            write(out, "250 2.0.0 Ok: queued as SINK" + messages.size());
                        }
                    }
                    from = null;
                    rcpts.clear();
                    commands.clear();
                } else if (u.startsWith("QUIT")) {
                    write(out, "221 2.0.0 bye");
                    return;
                } else {
                    write(out, "502 5.5.2 what");
                }
            }
        } catch (IOException | InterruptedException e) {
            // connection gone
        }
    }

    // Copies DATA to a file, un-dot-stuffed; false if the connection dropped first.
    private static boolean spill(InputStream in, OutputStream out) throws IOException {
        boolean start = true;
        int b;
        while ((b = in.read()) >= 0) {
            if (start && b == '.') {
                int c1 = in.read();
                if (c1 == '\r') {
                    int c2 = in.read();
                    if (c2 == '\n') {
                        return true;
                    }
                    out.write('\r');
                    if (c2 < 0) {
                        return false;
                    }
                    out.write(c2);
                    start = c2 == '\n';
                    continue;
                }
                if (c1 < 0) {
                    return false;
                }
                out.write(c1); // dot-stuffed: drop the first dot
                start = c1 == '\n';
                continue;
            }
            out.write(b);
            start = b == '\n';
        }
        return false;
    }

    // Reads a line, appending it with CRLF to data; returns it without CRLF.
    private static String readRawLine(InputStream in, ByteArrayOutputStream data) throws IOException {
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            l.write(b);
            if (b == '\n') {
                break;
            }
        }
        if (b < 0) {
            return null;
        }
        byte[] line = l.toByteArray();
        String s = new String(line, 0, Math.max(0, line.length - 2), StandardCharsets.UTF_8);
        if (!s.equals(".")) {
            data.write(line);
        }
        return s;
    }

    private static byte[] unstuff(byte[] d) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        boolean start = true;
        for (int i = 0; i < d.length; i++) {
            if (start && d[i] == '.') {
                start = false;
                continue;
            }
            o.write(d[i]);
            start = d[i] == '\n';
        }
        return o.toByteArray();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                l.write(b);
            }
        }
        return b < 0 && l.size() == 0 ? null : l.toString(StandardCharsets.UTF_8);
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
