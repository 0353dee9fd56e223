package org.mailseal.keys;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mailseal.mail.Address;
import org.mailseal.mime.RawHeader;

/**
 * The Autocrypt header of an incoming message (Autocrypt Level 1, §2.1 and §2.3): {@code addr=...;
 * [prefer-encrypt=mutual;] keydata=<base64>}. A header is invalid if its addr differs from the From
 * address, it has an unknown critical attribute (one not starting with "_"), or it is over 10 KiB; the
 * message's header counts only if exactly one valid header is present.
 */
public final class Autocrypt {

    static final int MAX = 10 * 1024;

    private Autocrypt() {
    }

    /** A valid header: the address and the key data. */
    public record Header(String addr, boolean mutual, byte[] keydata) {
    }

    /** The one valid Autocrypt header of a message from {@code from}, or null (none, several, or invalid). */
    public static Header of(RawHeader h, String from) {
        Header found = null;
        for (RawHeader.Field f : h.fields()) {
            if (!f.is("Autocrypt")) {
                continue;
            }
            Header a = parse(f);
            if (a == null || !a.addr().equals(Address.normalise(from))) {
                continue;
            }
            if (found != null) {
                return null; // more than one valid header: none counts
            }
            found = a;
        }
        return found;
    }

    static Header parse(RawHeader.Field f) {
        if (f.raw().length > MAX) {
            return null;
        }
        String addr = null;
        boolean mutual = false;
        byte[] keydata = null;
        List<String> seen = new ArrayList<>();
        for (String part : f.value().split(";")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                return null;
            }
            String name = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = p.substring(eq + 1).trim();
            if (seen.contains(name)) {
                return null;
            }
            seen.add(name);
            switch (name) {
                case "addr" -> addr = Address.normalise(value);
                case "prefer-encrypt" -> mutual = value.equals("mutual");
                case "keydata" -> {
                    try {
                        keydata = Base64.getMimeDecoder().decode(value.replaceAll("\\s", ""));
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }
                default -> {
                    if (!name.startsWith("_")) {
                        return null; // unknown critical attribute
                    }
                }
            }
        }
        return addr == null || keydata == null || keydata.length == 0 ? null : new Header(addr, mutual, keydata);
    }
}
