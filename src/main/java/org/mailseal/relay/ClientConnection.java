package org.mailseal.relay;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.mailseal.smtp.SmtpReply;

/** One client connection to a next hop. Not thread-safe; one transaction at a time. */
final class ClientConnection implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final String host;
    private final String address;
    private final int port;
    private final String description;
    private Set<String> extensions = Set.of();
    private String sizeLimit;
    private String tls;
    private long lastUsed = System.nanoTime();

    private ClientConnection(Socket socket, String host, int port) throws IOException {
        this.socket = socket;
        this.host = host;
        this.port = port;
        this.address = socket.getInetAddress().getHostAddress();
        this.description = host + "[" + address + "]:" + port;
        this.in = new BufferedInputStream(socket.getInputStream(), 8192);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    static ClientConnection open(InetSocketAddress target, String hostName, Duration connectTimeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(target, (int) connectTimeout.toMillis());
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new ClientConnection(s, hostName, target.getPort());
    }

    /** {@code name[addr]:port}, as Postfix logs a relay. */
    String describe() {
        return description;
    }

    String tls() {
        return tls;
    }

    boolean has(String ext) {
        return extensions.contains(ext);
    }

    Long sizeLimit() {
        try {
            return sizeLimit == null || sizeLimit.isEmpty() ? null : Long.parseLong(sizeLimit);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    void setTimeout(Duration d) throws IOException {
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis())));
    }

    void touch() {
        lastUsed = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - lastUsed;
    }

    /** Sends EHLO (HELO if refused) and records the extensions. */
    SmtpReply hello(String name) throws IOException {
        send("EHLO " + name);
        SmtpReply r = readReply();
        if (r.code() == 250) {
            Set<String> ext = new HashSet<>();
            for (int i = 1; i < r.lines().size(); i++) {
                String line = r.lines().get(i);
                String[] p = line.split(" ", 2);
                String kw = p[0].toUpperCase(Locale.ROOT);
                ext.add(kw);
                if (kw.equals("SIZE")) {
                    sizeLimit = p.length > 1 ? p[1].trim() : "";
                }
            }
            extensions = ext;
            return r;
        }
        send("HELO " + name);
        SmtpReply h = readReply();
        extensions = Set.of();
        return h;
    }

    /** RFC 3207: STARTTLS, then the handshake; the caller must send EHLO again. */
    void startTls(SSLContext ctx, boolean verifyHost) throws IOException {
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, host, port, true);
        ssl.setUseClientMode(true);
        SSLParameters params = ssl.getSSLParameters();
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"}); // RFC 8996
        if (!host.isEmpty() && !Character.isDigit(host.charAt(0)) && !host.contains(":")) {
            params.setServerNames(List.of(new SNIHostName(host)));
        }
        if (verifyHost) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        socket = ssl;
        in = new BufferedInputStream(ssl.getInputStream(), 8192);
        out = new BufferedOutputStream(ssl.getOutputStream(), 65536);
        tls = ssl.getSession().getProtocol() + " " + ssl.getSession().getCipherSuite();
        extensions = Set.of();
    }

    /** Queues a command; {@link #flush()} or {@link #readReply()} sends it. */
    void send(String command) throws IOException {
        out.write(command.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
    }

    void flush() throws IOException {
        out.flush();
    }

    OutputStream dataStream() {
        return out;
    }

    /** Reads one (possibly multi-line) reply, flushing anything queued first. */
    SmtpReply readReply() throws IOException {
        out.flush();
        List<String> lines = new ArrayList<>();
        int code;
        while (true) {
            String line = readLine();
            if (line.length() < 3 || !Character.isDigit(line.charAt(0))) {
                throw new IOException("malformed reply from " + describe() + ": " + printable(line));
            }
            code = Integer.parseInt(line.substring(0, 3));
            boolean more = line.length() > 3 && line.charAt(3) == '-';
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (!more) {
                break;
            }
            if (lines.size() > 1000) {
                throw new IOException("reply too long from " + describe());
            }
        }
        if (code < 200 || code > 599) {
            throw new IOException("bad reply code from " + describe() + ": " + code);
        }
        // Split off an enhanced status code (RFC 2034) if the server sends them.
        String first = lines.get(0);
        String enhanced = null;
        if (first.matches("[245]\\.\\d{1,3}\\.\\d{1,3}( .*)?")) {
            int sp = first.indexOf(' ');
            enhanced = sp < 0 ? first : first.substring(0, sp);
            List<String> stripped = new ArrayList<>();
            for (String l : lines) {
                stripped.add(l.startsWith(enhanced + " ") ? l.substring(enhanced.length() + 1) : l.equals(enhanced) ? "" : l);
            }
            lines = stripped;
        }
        return new SmtpReply(code, enhanced, lines);
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int n = sb.length();
                if (n > 0 && sb.charAt(n - 1) == '\r') {
                    sb.setLength(n - 1);
                }
                return sb.toString();
            }
            if (sb.length() > 4096) {
                throw new IOException("reply line too long from " + describe());
            }
            sb.append((char) b);
        }
        throw new EOFException("lost connection with " + describe());
    }

    private static String printable(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** Polite close: QUIT, then close. */
    void quit() {
        try {
            socket.setSoTimeout(2000);
            send("QUIT");
            readReply();
        } catch (IOException ignored) {
            // closing anyway
        }
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
