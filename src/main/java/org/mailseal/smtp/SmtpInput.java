package org.mailseal.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Reads CRLF-terminated lines from a client, strictly. RFC 5321 §2.3.8: lines end with CRLF only; a
 * bare LF or bare CR is refused (SMTP smuggling, CVE-2023-51764). Partial lines survive a
 * {@link java.net.SocketTimeoutException}, so callers may poll with short socket timeouts.
 */
public final class SmtpInput {

    /** Reply for a bare line ending, as Postfix's smtpd_forbid_bare_newline gives it. */
    public static final SmtpReply BARE_LF = SmtpReply.of(521, "5.5.2", "Error: bare <LF> received; lines must end with <CR><LF> (RFC 5321 section 2.3.8)");
    public static final SmtpReply BARE_CR = SmtpReply.of(521, "5.5.2", "Error: bare <CR> received; lines must end with <CR><LF> (RFC 5321 section 2.3.8)");

    private final InputStream in;
    private final byte[] buf = new byte[16384];
    private int pos;
    private int lim;

    // The line being assembled; kept across timeouts.
    private byte[] line = new byte[1024];
    private int len;
    private long lineOctets;
    private boolean sawCr;

    public SmtpInput(InputStream in) {
        this.in = in;
    }

    // An overall deadline for a DATA section: each read waits at most the per-read timeout and never past it.
    private java.net.Socket deadlineSocket;
    private long deadline;
    private int perReadMillis;

    /** Thrown when the overall DATA deadline passes, however steadily the client trickles bytes. */
    public static final class DeadlineExceeded extends java.net.SocketTimeoutException {
        DeadlineExceeded() {
            super("DATA deadline exceeded");
        }
    }

    /** True when bytes the client already sent are waiting (pipelined commands). */
    public boolean hasBuffered() {
        return pos < lim;
    }

    /** Bytes already received but not consumed; used to detect plaintext pipelined after STARTTLS. */
    public int buffered() {
        return lim - pos;
    }

    /** One line without its CRLF; {@code octets} counts every octet of the line as sent, CRLF excluded. */
    public record Line(byte[] bytes, int length, long octets) {
        public boolean tooLong(int max) {
            return octets > max;
        }
    }

    /**
     * Reads one line, keeping at most {@code keep} octets of it (longer lines are consumed and reported
     * through {@link Line#octets()}).
     */
    public Line readLine(int keep) throws IOException {
        while (true) {
            if (pos >= lim) {
                fill();
            }
            if (!sawCr) {
                // The bytes up to the next CR or LF in the buffer, taken at once (most of a DATA section).
                int end = pos;
                while (end < lim && buf[end] != '\r' && buf[end] != '\n') {
                    end++;
                }
                int run = end - pos;
                if (run > 0) {
                    int take = Math.min(run, Math.max(0, keep - len));
                    if (take > 0) {
                        if (len + take > line.length) {
                            line = Arrays.copyOf(line, Math.min(Math.max(line.length * 2, len + take), Math.max(keep, 64)));
                        }
                        System.arraycopy(buf, pos, line, len, take);
                        len += take;
                    }
                    lineOctets += run;
                    pos = end;
                    if (pos >= lim) {
                        continue;
                    }
                }
            }
            byte b = buf[pos++];
            if (sawCr) {
                sawCr = false;
                if (b != '\n') {
                    reset();
                    throw new ProtocolViolation(BARE_CR);
                }
                Line l = new Line(line, len, lineOctets);
                len = 0;
                lineOctets = 0;
                return l;
            }
            if (b == '\r') {
                sawCr = true;
            } else if (b == '\n') {
                reset();
                throw new ProtocolViolation(BARE_LF);
            } else {
                if (len < keep) {
                    if (len == line.length) {
                        line = Arrays.copyOf(line, Math.min(Math.max(line.length * 2, 64), Math.max(keep, 64)));
                    }
                    line[len++] = b;
                }
                lineOctets++;
            }
        }
    }

    /** The outcome of reading a DATA section. */
    public enum DataStatus { OK, TOO_BIG, LINE_TOO_LONG }

    /**
     * Reads the DATA section up to the terminating {@code CRLF.CRLF} (RFC 5321 §4.1.1.4), removes dot
     * stuffing (RFC 5321 §4.5.2) and writes the message with CRLF line ends to {@code out}. After a limit
     * is exceeded it keeps reading (discarding) to the end of the data, so the session stays in sync.
     */
    public DataStatus readData(OutputStream out, long maxSize, int maxLineLength) throws IOException {
        return readData(out, maxSize, maxLineLength, null, 0, 0);
    }

    /**
     * As {@link #readData(OutputStream, long, int)}, with an overall deadline ({@link System#nanoTime()})
     * on top of {@code perReadMillis}, enforced through {@code socket}'s read timeout (slowloris).
     */
    public DataStatus readData(OutputStream out, long maxSize, int maxLineLength, java.net.Socket socket, long deadlineNanos,
                               int perReadMillis) throws IOException {
        this.deadlineSocket = socket;
        this.deadline = deadlineNanos;
        this.perReadMillis = perReadMillis;
        try {
            return readDataUntilDot(out, maxSize, maxLineLength);
        } finally {
            this.deadlineSocket = null;
        }
    }

    private DataStatus readDataUntilDot(OutputStream out, long maxSize, int maxLineLength) throws IOException {
        long size = 0;
        DataStatus status = DataStatus.OK;
        int keep = maxLineLength + 2;
        while (true) {
            Line l = readLine(keep);
            if (l.octets() == 1 && l.bytes()[0] == '.') {
                return status;
            }
            if (status != DataStatus.OK) {
                continue;
            }
            if (l.octets() > maxLineLength + (l.length() > 0 && l.bytes()[0] == '.' ? 1 : 0)) {
                status = DataStatus.LINE_TOO_LONG;
                continue;
            }
            int off = (l.length() > 0 && l.bytes()[0] == '.') ? 1 : 0;
            int n = l.length() - off;
            size += n + 2;
            if (size > maxSize) {
                status = DataStatus.TOO_BIG;
                continue;
            }
            out.write(l.bytes(), off, n);
            out.write('\r');
            out.write('\n');
        }
    }

    private void reset() {
        len = 0;
        lineOctets = 0;
        sawCr = false;
    }

    private void fill() throws IOException {
        if (deadlineSocket != null) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new DeadlineExceeded();
            }
            deadlineSocket.setSoTimeout((int) Math.max(1, Math.min(perReadMillis, left)));
        }
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            throw new EOFException("client closed the connection");
        }
        pos = 0;
        lim = n;
    }
}
