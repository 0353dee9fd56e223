package org.mailseal.keys;

import java.security.cert.X509Certificate;
import java.util.List;
import org.mailseal.crypto.MessageOpener;
import org.mailseal.crypto.pgp.PgpMimeSigner;

/**
 * The keys outbound mail from one sender is opened and signed with: the sender's own and the relay key
 * of the sender's domain, and the public keys the sender registered. The gateway's are
 * {@link DecryptionKeys} (sealed in the store or in a token); stage tests hold theirs in memory.
 */
public interface SenderKeys extends MessageOpener.Keys {

    /** {@code <relayKeyLocalPart>@domain}, the address of the domain's relay key. */
    String relayAddress(String domain);

    /** A PGP/MIME signer with {@code email}'s own signing key, or null. */
    PgpMimeSigner pgpSigner(String email) throws Exception;

    /** The S/MIME certificates registered for {@code email}: a relay-key message must be signed with one. */
    List<X509Certificate> registeredCerts(String email) throws Exception;

    /** Intermediate certificates that issued {@code c}, for a signature's certificate set. */
    List<X509Certificate> chainFor(X509Certificate c) throws Exception;
}
