package org.mailseal.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mailseal.mime.RawHeader;

/**
 * The round-trip rule: what the recipient decrypts is the original message, with every original header
 * field present with its original value, in its original order, the body byte-identical, and nothing
 * added but the header-protection markers (hp/protected-headers on Content-Type, HP-Outer fields), the
 * gateway's X-Mailseal-Info trace, its storage seal (X-Mailseal-Sealed) and the Authentication-Results
 * field it writes before encrypting (authserv-id {@code gw.test}, the test gateways' host name). The
 * gateway's own Received field is outside only.
 */
public final class ByteExact {

    private ByteExact() {
    }

    public static void check(String name, byte[] original, byte[] decrypted) throws IOException {
        InputStream oi = new ByteArrayInputStream(original);
        InputStream di = new ByteArrayInputStream(decrypted);
        RawHeader oh = RawHeader.read(oi, 1 << 24);
        RawHeader dh = RawHeader.read(di, 1 << 24);
        List<RawHeader.Field> df = new ArrayList<>(dh.fields());
        assertThat(df).as(name + ": no gateway Received inside").noneMatch(f -> f.is("Received")
                && new String(f.raw(), StandardCharsets.UTF_8).contains("(mailseal)"));
        df.removeIf(f -> f.is("HP-Outer") || f.is("X-Mailseal-Info") || f.is("X-Mailseal-Sealed") || ours(f));
        boolean origHasCt = oh.first("Content-Type") != null;
        if (!origHasCt) {
            RawHeader.Field added = df.stream().filter(f -> f.is("Content-Type")).findFirst().orElseThrow();
            assertThat(added.value()).as(name).isEqualTo("text/plain; charset=us-ascii; hp=\"cipher\"; protected-headers=\"v1\"");
            df.remove(added);
        }
        assertThat(df.size()).as(name + ": field count").isEqualTo(oh.fields().size());
        for (int i = 0; i < df.size(); i++) {
            RawHeader.Field o = oh.fields().get(i);
            RawHeader.Field d = df.get(i);
            if (o.is("Content-Type") && origHasCt && oh.fields().indexOf(o) == oh.fields().indexOf(oh.first("Content-Type"))) {
                String dv = new String(d.raw(), StandardCharsets.UTF_8);
                assertThat(dv).as(name + ": markers").contains("hp=\"cipher\"; protected-headers=\"v1\"");
                String stripped = dv.replaceFirst(";?\r\n\thp=\"cipher\"; protected-headers=\"v1\"", "");
                assertThat(stripped).as(name + ": Content-Type otherwise unchanged").isEqualTo(new String(o.raw(), StandardCharsets.UTF_8));
            } else {
                assertThat(new String(d.raw(), StandardCharsets.ISO_8859_1)).as(name + ": field " + i).isEqualTo(new String(o.raw(), StandardCharsets.ISO_8859_1));
            }
        }
        byte[] ob = oi.readAllBytes();
        byte[] db = di.readAllBytes();
        if (!Arrays.equals(ob, db)) {
            assertThat(new String(db, StandardCharsets.ISO_8859_1)).as(name + ": body").isEqualTo(new String(ob, StandardCharsets.ISO_8859_1));
        }
    }

    /** The gateway's own Authentication-Results (written before encryption, so it is inside too). */
    public static boolean ours(RawHeader.Field f) {
        return f.is("Authentication-Results") && f.value().startsWith("gw.test;");
    }

    /** The armored OpenPGP message inside a PGP/MIME message. */
    public static byte[] armoredPart(String message) {
        int b = message.indexOf("-----BEGIN PGP MESSAGE-----");
        int e = message.indexOf("-----END PGP MESSAGE-----");
        assertThat(b).as("PGP message present").isGreaterThanOrEqualTo(0);
        return (message.substring(b, e + "-----END PGP MESSAGE-----".length()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
