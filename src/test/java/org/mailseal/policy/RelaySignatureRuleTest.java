package org.mailseal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.junit.jupiter.api.Test;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.smime.SmimeVerifier;

/** The sender's fresh intent: signed inside, by a registered key, valid, within the window. */
class RelaySignatureRuleTest {

    final RelaySignatureRule rule = new RelaySignatureRule(Duration.ofMinutes(10));
    final PGPPublicKey registered;

    RelaySignatureRuleTest() throws Exception {
        registered = org.mailseal.crypto.pgp.PgpKeys.generate("alice@example.com", null, org.mailseal.crypto.pgp.PgpKeys.Algo.CV25519)
                .getPublicKey();
    }

    @Test
    void aValidFreshSignatureByARegisteredKeyPassesWithItsDigest() throws Exception {
        byte[] digest = {1, 2, 3};
        assertThat(rule.check(new PgpDecryptor.Signature(7, registered, true, Instant.now(), digest))).isEqualTo(digest);
        assertThat(rule.check(new SmimeVerifier.Result(null, Instant.now().minusSeconds(60), digest))).isEqualTo(digest);
    }

    @Test
    void everythingElseBreaksTheRule() {
        Instant now = Instant.now();
        assertThatThrownBy(() -> rule.check((PgpDecryptor.Signature) null)).hasMessageContaining("not signed");
        assertThatThrownBy(() -> rule.check(new PgpDecryptor.Signature(0xABCL, null, true, now, new byte[1])))
                .hasMessageContaining("unregistered key ABC");
        assertThatThrownBy(() -> rule.check(new PgpDecryptor.Signature(7, registered, false, now, new byte[1]))).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> rule.check(new PgpDecryptor.Signature(7, registered, true, now.minus(Duration.ofHours(1)), new byte[1])))
                .hasMessageContaining("outside the window");
        assertThatThrownBy(() -> rule.check(new PgpDecryptor.Signature(7, registered, true, now.plus(Duration.ofHours(1)), new byte[1])))
                .as("a signature dated in the future is not fresh either").hasMessageContaining("outside the window");
        assertThatThrownBy(() -> rule.check(new SmimeVerifier.Result(null, null, new byte[1]))).hasMessageContaining("no signing time");
    }
}
