package org.mailseal.scan;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.mailseal.config.Clamd;

/**
 * clamd client: {@code zINSTREAM} inside {@code zIDSESSION} sessions that are kept and reused (clamd's
 * docs, "IDSESSION"), over TCP or a Unix socket. The message is streamed in chunks of
 * {@code <uint32 length><data>}, ended by a zero-length chunk. A message over {@code maxStreamSize}
 * (clamd's StreamMaxLength) is not sent: it is "not scanned", like clamd's own size-limit error.
 */
public final class ClamdClient implements Scanner {

    private static final int CHUNK = 64 * 1024;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "clamd-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Clamd config;
    private final ConcurrentLinkedDeque<Session> idle = new ConcurrentLinkedDeque<>();

    public ClamdClient(Clamd config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "clamd";
    }

    @Override
    public Verdict scan(Request request, Path message) throws Exception {
        long start = System.nanoTime();
        long size = Files.size(message);
        if (size > config.maxStreamSize()) {
            return Verdict.failed(name(), "message of " + size + " bytes is over scan.clamd.maxStreamSize (" + config.maxStreamSize() + ")", since(start));
        }
        Session s = idle.pollFirst();
        boolean reused = s != null;
        if (s == null) {
            s = open();
        }
        String reply;
        try {
            reply = s.instream(message, config.timeout());
        } catch (IOException e) {
            s.close();
            if (!reused) {
                throw e;
            }
            s = open(); // clamd closed the idle session (IdleTimeout): one retry on a fresh one
            try {
                reply = s.instream(message, config.timeout());
            } catch (IOException again) {
                s.close();
                throw again;
            }
        }
        idle.offerFirst(s);
        return parse(reply, since(start));
    }

    private Verdict parse(String reply, Duration took) {
        // "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        String r = reply.trim();
        if (r.endsWith("stream: OK")) {
            return new Verdict(name(), Verdict.Kind.CLEAN, null, null, null, List.of(), null, took);
        }
        if (r.endsWith(" FOUND")) {
            String name = r.substring(r.indexOf("stream: ") + 8, r.length() - 6).trim();
            return new Verdict(name(), Verdict.Kind.VIRUS, name, null, null, List.of(name), null, took);
        }
        return Verdict.failed(name(), "clamd: " + r, took);
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private Session open() throws IOException {
        SocketChannel ch = config.socket() != null
                ? SocketChannel.open(UnixDomainSocketAddress.of(config.socket()))
                : SocketChannel.open(new InetSocketAddress(config.address().host(), config.address().port()));
        Session s = new Session(ch);
        s.out.write("zIDSESSION\0".getBytes(StandardCharsets.US_ASCII));
        s.out.flush();
        return s;
    }

    @Override
    public void close() {
        for (Session s; (s = idle.pollFirst()) != null; ) {
            s.end();
        }
    }

    /** One IDSESSION connection; replies carry the command's number ("1: stream: OK"). */
    private static final class Session {
        final SocketChannel channel;
        final OutputStream out;
        final InputStream in;

        Session(SocketChannel ch) {
            this.channel = ch;
            this.out = new java.io.BufferedOutputStream(Channels.newOutputStream(ch), CHUNK + 4);
            this.in = Channels.newInputStream(ch);
        }

        String instream(Path message, Duration timeout) throws IOException {
            // A socket channel has no read timeout: a watchdog closes it when the time is up.
            ScheduledFuture<?> dog = WATCHDOG.schedule(this::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                out.write("zINSTREAM\0".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[CHUNK];
                try (InputStream m = Files.newInputStream(message)) {
                    for (int n; (n = m.readNBytes(buf, 0, CHUNK)) > 0; ) {
                        out.write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
                        out.write(buf, 0, n);
                    }
                }
                out.write(new byte[4]); // zero-length chunk: end of stream
                out.flush();
                ByteArrayOutputStream reply = new ByteArrayOutputStream();
                for (int c; (c = in.read()) != 0; ) {
                    if (c < 0) {
                        throw new IOException("clamd closed the connection");
                    }
                    reply.write(c);
                    if (reply.size() > 4096) {
                        throw new IOException("clamd reply too long");
                    }
                }
                String r = reply.toString(StandardCharsets.US_ASCII);
                int colon = r.indexOf(": ");
                return colon > 0 && r.substring(0, colon).chars().allMatch(Character::isDigit) ? r.substring(colon + 2) : r;
            } catch (IOException e) {
                throw channel.isOpen() ? e : new IOException("clamd timed out after " + timeout.toMillis() + " ms");
            } finally {
                dog.cancel(false);
            }
        }

        void end() {
            try {
                out.write("zEND\0".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException ignored) {
                // closing anyway
            }
            close();
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
