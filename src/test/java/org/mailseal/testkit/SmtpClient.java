package org.mailseal.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A scripted SMTP conversation for tests: {@code send("MAIL FROM:<a@b>"); expect("250");}. */
public final class SmtpClient implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    public final List<String> transcript = new ArrayList<>();

    public SmtpClient(int port) throws IOException {
        this(new Socket("127.0.0.1", port));
    }

    /** Over a socket the caller connected (e.g. from another loopback address). */
    public SmtpClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(20_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public SmtpClient send(String line) throws IOException {
        return raw(line + "\r\n");
    }

    public SmtpClient raw(String text) throws IOException {
        return raw(text.getBytes(StandardCharsets.UTF_8));
    }

    public SmtpClient raw(byte[] bytes) throws IOException {
        transcript.add("C: " + new String(bytes, StandardCharsets.UTF_8).strip());
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one whole reply (all lines) and returns it, lines joined by \n. */
    public String reply() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed; transcript: " + transcript);
            }
            transcript.add("S: " + line);
            sb.append(line).append('\n');
            if (line.length() < 4 || line.charAt(3) != '-') {
                return sb.toString().strip();
            }
        }
    }

    /** Reads a reply and checks that it starts with {@code prefix}. */
    public String expect(String prefix) throws IOException {
        String r = reply();
        assertThat(r).as("reply; transcript %s", transcript).startsWith(prefix);
        return r;
    }

    /** True when the server has closed the connection. */
    public boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** STARTTLS handshake on the current connection (trusting any certificate). */
    public void startTls() throws Exception {
        SSLContext ctx = TrustAll.context();
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
        ssl.startHandshake();
        socket = ssl;
        in = new BufferedInputStream(ssl.getInputStream());
        out = ssl.getOutputStream();
    }

    /** Sends a whole transaction and returns the reply to the end of data. */
    /** One whole session: greeting, EHLO {@code helo}, one message; the reply to its end of data. */
    public static String submit(int port, String helo, String from, String to, String message) throws IOException {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO " + helo);
            c.expect("250");
            return c.sendMail(from, List.of(to), message);
        }
    }

    public String sendMail(String from, List<String> rcpts, String message) throws IOException {
        send("MAIL FROM:<" + from + ">");
        expect("250");
        for (String r : rcpts) {
            send("RCPT TO:<" + r + ">");
            expect("250");
        }
        send("DATA");
        expect("354");
        raw(message + ".\r\n");
        return reply();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
