package org.mailseal.bridge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one client command (RFC 3501 §9): a tag, a command name and its arguments, where an argument is an
 * atom (which may hold a bracketed section spec with spaces, {@code BODY.PEEK[HEADER.FIELDS (FROM)]<0.10>}),
 * a quoted string, a literal ({@code {n}} answered with a continuation, or {@code {n+}}, RFC 7888
 * LITERAL+), or a parenthesized list. Literals are read as bytes; a line or a literal over the limit is
 * refused.
 */
final class ImapReader {

    /** A literal's bytes (not an atom). */
    record Literal(byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A quoted string (not an atom: NIL in quotes is a string). */
    record Quoted(String text) {
    }

    /** The command line could not be read; the session answers BAD. */
    static final class Bad extends IOException {
        Bad(String m) {
            super(m);
        }
    }

    /** The text of an argument: an atom, a quoted string or a literal. */
    static String text(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Quoted q) {
            return q.text();
        }
        if (o instanceof Literal l) {
            return l.text();
        }
        throw new IllegalArgumentException("expected a string");
    }

    /** Asks the client for a literal's bytes ({@code + } continuation). */
    interface Continuation {
        void ready() throws IOException;
    }

    private final InputStream in;
    private final int maxLiteral;
    private int peeked = -2;

    ImapReader(InputStream in, int maxLiteral) {
        this.in = in;
        this.maxLiteral = maxLiteral;
    }

    private int read() throws IOException {
        if (peeked != -2) {
            int p = peeked;
            peeked = -2;
            return p;
        }
        return in.read();
    }

    private int peek() throws IOException {
        if (peeked == -2) {
            peeked = in.read();
        }
        return peeked;
    }

    /** The next command's tokens (tag first), or null at the end of the stream. */
    List<Object> command(Continuation cont) throws IOException {
        int c = peek();
        if (c < 0) {
            return null;
        }
        List<Object> out = new ArrayList<>();
        readUntil(out, -1, cont, 0);
        return out;
    }

    /** Reads one line (for AUTHENTICATE's response and IDLE's DONE). */
    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = read()) >= 0 && c != '\n') {
            if (b.size() > 8192) {
                throw new Bad("line too long");
            }
            b.write(c);
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    // Reads tokens until end (')' for a list, CRLF for the command).
    private void readUntil(List<Object> out, int close, Continuation cont, int depth) throws IOException {
        int total = 0;
        while (true) {
            int c = read();
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (++total > 65536) {
                throw new Bad("command line too long");
            }
            if (c == '\r') {
                continue;
            }
            if (c == '\n') {
                if (close >= 0) {
                    throw new Bad("unbalanced parentheses");
                }
                return;
            }
            if (c == ' ') {
                continue;
            }
            if (c == close) {
                return;
            }
            if (c == '(') {
                if (depth > 20) {
                    throw new Bad("nested too deep");
                }
                List<Object> list = new ArrayList<>();
                readUntil(list, ')', cont, depth + 1);
                out.add(list);
            } else if (c == '"') {
                out.add(new Quoted(quoted()));
            } else if (c == '{') {
                out.add(new Literal(literal(cont)));
            } else {
                out.add(atom(c, close));
            }
        }
    }

    private String quoted() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = read();
            if (c < 0 || c == '\n' || c == '\r') {
                throw new Bad("unterminated quoted string");
            }
            if (c == '"') {
                return b.toString(StandardCharsets.UTF_8);
            }
            if (c == '\\') {
                c = read();
            }
            b.write(c);
        }
    }

    private byte[] literal(Continuation cont) throws IOException {
        StringBuilder n = new StringBuilder();
        int c;
        boolean plus = false;
        while ((c = read()) != '}') {
            if (c == '+') {
                plus = true;
            } else if (c >= '0' && c <= '9' && n.length() < 12) {
                n.append((char) c);
            } else {
                throw new Bad("bad literal");
            }
        }
        if (read() != '\r' || read() != '\n' || n.length() == 0) {
            throw new Bad("bad literal");
        }
        long len = Long.parseLong(n.toString());
        if (len > maxLiteral) {
            throw new Bad("literal too large (" + len + " bytes; at most " + maxLiteral + ")");
        }
        if (!plus) {
            cont.ready();
        }
        byte[] b = in.readNBytes((int) len);
        if (b.length < len) {
            throw new IOException("connection closed");
        }
        return b;
    }

    // An atom; '[' ... ']' may hold spaces and parentheses (a section spec).
    private String atom(int first, int close) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append((char) first);
        int brackets = first == '[' ? 1 : 0;
        while (true) {
            int c = peek();
            if (c < 0 || c == '\r' || c == '\n') {
                return b.toString();
            }
            if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == close)) {
                return b.toString();
            }
            read();
            if (c == '[') {
                brackets++;
            } else if (c == ']') {
                brackets--;
            }
            b.append((char) c);
            if (b.length() > 8192) {
                throw new Bad("atom too long");
            }
        }
    }
}
