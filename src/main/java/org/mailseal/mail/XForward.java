package org.mailseal.mail;

/**
 * Client attributes forwarded by a trusted MTA with XFORWARD (Postfix XFORWARD_README). A null field was
 * not sent or was {@code [UNAVAILABLE]}. {@code ident} is the upstream queue id (Postfix's).
 */
public record XForward(String name, String addr, String port, String proto, String helo, String ident, String source) {

    public static final XForward EMPTY = new XForward(null, null, null, null, null, null, null);

    public boolean isEmpty() {
        return equals(EMPTY);
    }

    /** Returns a copy with one attribute set; {@code name} is upper case. */
    public XForward with(String attr, String value) {
        return switch (attr) {
            case "NAME" -> new XForward(value, addr, port, proto, helo, ident, source);
            case "ADDR" -> new XForward(name, value, port, proto, helo, ident, source);
            case "PORT" -> new XForward(name, addr, value, proto, helo, ident, source);
            case "PROTO" -> new XForward(name, addr, port, value, helo, ident, source);
            case "HELO" -> new XForward(name, addr, port, proto, value, ident, source);
            case "IDENT" -> new XForward(name, addr, port, proto, helo, value, source);
            case "SOURCE" -> new XForward(name, addr, port, proto, helo, ident, value);
            default -> throw new IllegalArgumentException(attr);
        };
    }
}
