package org.mailseal.config;

/**
 * A next hop, written the Postfix way: {@code [host]:port} or {@code [host]} connects to that host
 * directly; {@code host} or {@code host:port} looks up the MX records of {@code host} first; the word
 * {@code mx} looks up the MX records of each recipient's own domain (RFC 5321 §5.1).
 */
public record NextHop(String host, int port, boolean mxLookup, boolean recipientDomain) {

    public static final int SMTP_PORT = 25;

    public static NextHop parse(String text) {
        String s = text.trim();
        if (s.equalsIgnoreCase("mx")) {
            return new NextHop(null, SMTP_PORT, true, true);
        }
        boolean bracket = s.startsWith("[");
        String host;
        String rest;
        if (bracket) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unbalanced '[' in next hop '" + text + "'");
            }
            host = s.substring(1, close);
            rest = s.substring(close + 1);
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            rest = colon < 0 ? "" : s.substring(colon);
        }
        if (host.isEmpty() || !host.matches("[\\p{L}\\p{N}.:_-]+")) {
            throw new IllegalArgumentException("bad host in next hop '" + text + "'");
        }
        int port = SMTP_PORT;
        if (!rest.isEmpty()) {
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("bad next hop '" + text + "'");
            }
            try {
                port = Integer.parseInt(rest.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in next hop '" + text + "'");
            }
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range in next hop '" + text + "'");
            }
        }
        return new NextHop(host, port, !bracket, false);
    }

    @Override
    public String toString() {
        if (recipientDomain) {
            return "mx";
        }
        return (mxLookup ? host : "[" + host + "]") + ":" + port;
    }
}
