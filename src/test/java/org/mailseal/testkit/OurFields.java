package org.mailseal.testkit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the gateway adds to inbound mail it relays without encrypting: its own Received field, first, then
 * its Authentication-Results (RFC 8601, authserv-id {@code gw.test}), and nothing else.
 */
public final class OurFields {

    private OurFields() {
    }

    /** {@code relayed} without those two fields (each checked to be there). */
    public static String strip(String relayed) {
        assertThat(relayed).startsWith("Received: from ");
        int semi = relayed.indexOf("; ", relayed.indexOf("(mailseal)"));
        assertThat(semi).isPositive();
        String rest = relayed.substring(relayed.indexOf("\r\n", semi) + 2);
        assertThat(rest).startsWith("Authentication-Results: gw.test;");
        int e = rest.indexOf("\r\n");
        while (rest.charAt(e + 2) == ' ' || rest.charAt(e + 2) == '\t') {
            e = rest.indexOf("\r\n", e + 2);
        }
        return rest.substring(e + 2);
    }
}
