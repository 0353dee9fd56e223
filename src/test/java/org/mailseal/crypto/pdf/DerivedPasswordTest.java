package org.mailseal.crypto.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DerivedPasswordTest {

    @Test
    void samePdfSamePasswordOtherPdfOrRecipientAnother() {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[0] = 1;
        String ref = DerivedPassword.reference("<m1@example.com>");
        assertThat(ref).matches("[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}").doesNotContain("0").doesNotContain("1").doesNotContain("O").doesNotContain("I");
        assertThat(DerivedPassword.reference(" <m1@example.com> ")).isEqualTo(ref);
        String pw = new String(DerivedPassword.derive(a, ref));
        assertThat(pw).hasSize(20).matches("[" + DerivedPassword.ALPHABET + "]+");
        assertThat(new String(DerivedPassword.derive(a, ref.toLowerCase()))).as("the reference as typed back, any case").isEqualTo(pw);
        assertThat(new String(DerivedPassword.derive(b, ref))).isNotEqualTo(pw);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(new String(DerivedPassword.derive(a, DerivedPassword.reference("<m" + i + "@example.com>"))));
        }
        assertThat(seen).hasSize(200);
    }
}
