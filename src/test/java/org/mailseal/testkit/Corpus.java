package org.mailseal.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** The test corpus in src/test/resources/corpus: encrypt/ (must round-trip) and passthrough/ (already encrypted). */
public final class Corpus {

    public record Message(String name, byte[] bytes) {
        public boolean needsSmtputf8() {
            int end = headerEnd();
            for (int i = 0; i < end; i++) {
                if (bytes[i] < 0) {
                    return true;
                }
            }
            return false;
        }

        public boolean eightBit() {
            for (byte b : bytes) {
                if (b < 0) {
                    return true;
                }
            }
            return false;
        }

        private int headerEnd() {
            for (int i = 0; i + 3 < bytes.length; i++) {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                    return i;
                }
            }
            return bytes.length;
        }
    }

    private Corpus() {
    }

    public static List<Message> load(String kind) throws IOException {
        Path dir;
        try {
            dir = Paths.get(Corpus.class.getResource("/corpus/" + kind).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().map(p -> {
                try (InputStream in = Files.newInputStream(p)) {
                    return new Message(p.getFileName().toString(), in.readAllBytes());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    /** Sends one corpus message to {@code rcpt}, with the SMTP parameters its content needs; returns the final reply. */
    public static String send(int port, Message m, String rcpt) throws IOException {
        return send(port, m, rcpt, "bob@internet.test");
    }

    /** As {@link #send(int, Message, String)}, from envelope sender {@code from}. */
    public static String send(int port, Message m, String rcpt, String from) throws IOException {
        try (SmtpClient c = new SmtpClient(port)) {
            c.expect("220");
            c.send("EHLO corpus.test");
            c.expect("250");
            c.send("MAIL FROM:<" + from + ">" + (m.eightBit() ? " BODY=8BITMIME" : "") + (m.needsSmtputf8() ? " SMTPUTF8" : ""));
            c.expect("250");
            c.send("RCPT TO:<" + rcpt + ">");
            c.expect("250");
            c.send("DATA");
            c.expect("354");
            byte[] b = m.bytes();
            java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(b.length + 100);
            boolean start = true;
            for (byte x : b) {
                if (start && x == '.') {
                    o.write('.');
                }
                o.write(x);
                start = x == '\n';
            }
            o.writeBytes(".\r\n".getBytes());
            c.raw(o.toByteArray());
            String r = c.reply();
            c.send("QUIT");
            return r;
        }
    }
}
