package org.mailseal.scan;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
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
import org.mailseal.config.HostPort;

/**
 * Releases a quarantined message: sends it again, with its original envelope, through the gateway's own
 * SMTP listener, so it takes the normal path (and is encrypted as usual). The entry is marked as
 * releasing first, so that the scan stage lets this one message through; it is deleted once the
 * gateway answered 250 for every recipient.
 */
public final class QuarantineRelease {

    private QuarantineRelease() {
    }

    /** Returns the gateway's reply to the end of data. Throws (and keeps the entry) on any refusal. */
    public static String release(Quarantine q, Quarantine.Entry e, HostPort gateway, Path tmpDir) throws Exception {
        Path copy = Files.createTempFile(tmpDir, "release-", ".eml");
        try {
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(copy), 65536)) {
                q.open(e, o);
            }
            q.markReleasing(e.id());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(gateway.host(), gateway.port()), 10_000);
                s.setSoTimeout(600_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = new BufferedOutputStream(s.getOutputStream(), 65536);
                expect(in, "220");
                command(out, "EHLO localhost");
                expect(in, "250");
                command(out, "MAIL FROM:<" + e.from() + ">");
                expect(in, "250");
                for (String r : e.recipients()) {
                    command(out, "RCPT TO:<" + r + ">");
                    expect(in, "250");
                }
                command(out, "DATA");
                expect(in, "354");
                out.write((Quarantine.RELEASED_FIELD + ": " + e.id() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                try (InputStream m = new BufferedInputStream(Files.newInputStream(copy), 65536)) {
                    dotStuff(m, out);
                }
                out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String reply = expect(in, "250");
                command(out, "QUIT");
                q.delete(e.id());
                return reply;
            }
        } catch (Exception failed) {
            q.unmarkReleasing(e.id()); // the entry stays; its pass through the scan is withdrawn
            throw failed;
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    // RFC 5321 §4.5.2: a line starting with "." gets one more.
    private static void dotStuff(InputStream m, OutputStream out) throws IOException {
        boolean lineStart = true;
        int last = -1;
        for (int c; (c = m.read()) >= 0; ) {
            if (lineStart && c == '.') {
                out.write('.');
            }
            out.write(c);
            lineStart = c == '\n';
            last = c;
        }
        if (last != '\n') {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void command(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String expect(BufferedReader in, String code) throws IOException {
        StringBuilder all = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("the gateway closed the connection");
            }
            all.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
        if (!line.startsWith(code)) {
            throw new IOException("the gateway answered: " + all.toString().trim());
        }
        return line;
    }
}
