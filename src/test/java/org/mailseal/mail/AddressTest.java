package org.mailseal.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Parsing (RFC 5321 §4.1.2, RFC 6531 §3.3), the normal form, and the one form a key is bound to. */
class AddressTest {

    @Test
    void parsesEnvelopeMailboxes() {
        assertThat(Address.parse("")).isEqualTo(Address.NULL_SENDER);
        Address a = Address.parse("Alice.B@Example.COM");
        assertThat(a.localPart()).isEqualTo("Alice.B");
        assertThat(a.domainLower()).isEqualTo("example.com");
        assertThat(Address.parse("\"a b\"@example.com").localPart()).isEqualTo("\"a b\"");
        assertThat(Address.parse("pelé@bücher.example").isUtf8()).isTrue();
        assertThat(Address.parse("x@[192.0.2.1]").domain()).isEqualTo("[192.0.2.1]");
        for (String bad : new String[] {"nodomain", "@example.com", "a@", "a..b@example.com", ".a@example.com",
                "a@-x.example", "a@x..example", "a b@example.com", "a@[not-an-ip]"}) {
            assertThatThrownBy(() -> Address.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Address.parse("a".repeat(257) + "@example.com")).hasMessageContaining("too long");
    }

    @Test
    void normalFormLowersBothPartsAndKeepsUnicodeLetters() {
        assertThat(Address.normalise("Alice@Example.COM")).isEqualTo("alice@example.com");
        assertThat(Address.normalise("ÄRGER@Bücher.Example")).isEqualTo("ärger@bücher.example");
        assertThat(Address.normalise("a@b@Example.com")).isEqualTo("a@b@example.com"); // split at the last @
    }

    @Test
    void keysBindOnlyToPlainAddrSpecs() {
        assertThat(Address.isPlainAddrSpec("alice@example.com")).isTrue();
        assertThat(Address.isPlainAddrSpec("pelé@bücher.example")).isTrue();
        for (String claim : new String[] {"alice%victim.example@example.com", "victim.example!alice@example.com",
                "\"alice@victim.example\"@example.com", "alice@localhost", "alice@[192.0.2.1]", "@example.com",
                "a".repeat(65) + "@example.com", "alice@example.com ", "alice@exa mple.com"}) {
            assertThat(Address.isPlainAddrSpec(claim)).as(claim).isFalse();
        }
    }
}
