package org.mailseal.transport;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MTA-STS policies seen, kept in the store (table {@code mta_sts_policies}) until they expire: shared by
 * every node and surviving a restart (RFC 8461 §5.1). A store fault costs only this memory: the lookup
 * goes on as if nothing were stored, and the fault is logged.
 */
public final class MtaStsPolicies implements MtaStsClient.PolicyStore {

    private static final Logger log = LoggerFactory.getLogger("relay");

    private final DataSource ds;

    public MtaStsPolicies(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public Optional<MtaStsClient.Stored> load(String domain) {
        try (Connection c = ds.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT policy_id, policy, expires FROM mta_sts_policies WHERE domain = ?")) {
            s.setString(1, domain);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new MtaStsClient.Stored(r.getString(2), r.getString(1), Instant.ofEpochMilli(r.getLong(3))))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            log.warn("MTA-STS: the stored policy of {} could not be read: {}", domain, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public void save(String domain, MtaStsClient.Stored policy) {
        try {
            org.mailseal.store.Rows.replace(ds, "mta_sts_policies", java.util.List.of("domain", "policy_id", "policy", "expires"), domain, policy.id(),
                    policy.text(), policy.expires().toEpochMilli());
        } catch (SQLException e) {
            // two nodes storing the same domain's policy at once: one of them wins, which is all that is needed
            log.warn("MTA-STS: the policy of {} could not be stored: {}", domain, e.getMessage());
        }
    }

    @Override
    public void remove(String domain) {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("DELETE FROM mta_sts_policies WHERE domain = ?")) {
            s.setString(1, domain);
            s.executeUpdate();
        } catch (SQLException e) {
            log.warn("MTA-STS: the expired policy of {} could not be removed: {}", domain, e.getMessage());
        }
    }
}
