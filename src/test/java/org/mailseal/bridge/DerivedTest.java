package org.mailseal.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The content items kept in the cache come back exactly as computed from the plaintext. */
class DerivedTest {

    @Test
    void theItemsComeBackAsComputed() {
        byte[] m = ("From: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>\r\nTo: a@example.com\r\nSubject: Grüße\r\n"
                + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n").getBytes(StandardCharsets.UTF_8);
        Derived d = Derived.of(m);
        MimeTree.Entity tree = MimeTree.parse(m);
        assertThat(d.size()).isEqualTo(m.length);
        assertThat(d.envelope()).isEqualTo(MimeTree.envelope(tree.header()));
        assertThat(d.bodyStructure()).isEqualTo(MimeTree.bodyStructure(m, tree)).startsWith("((\"TEXT\" \"PLAIN\"");
        assertThat(Derived.decode(d.encode())).isEqualTo(d);
    }

    @Test
    void bytesOfAnotherFormatAreNotTaken() {
        assertThat(Derived.decode(new byte[] {2, 0, 0})).isNull();
        assertThat(Derived.decode(new byte[] {1, 0})).isNull();
        assertThat(Derived.decode(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})).isNull();
    }

    @Test
    void theIdentityOfTheItemsIsNeverAMessagesIdentity() {
        byte[] id = Cache.id("alice@example.com", "INBOX", 7, 42);
        assertThat(Derived.id(id)).hasSize(id.length + 1).startsWith(id);
    }
}
