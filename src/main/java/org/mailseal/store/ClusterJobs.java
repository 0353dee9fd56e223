package org.mailseal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * Jobs that must run on one node at a time, once per interval, however many nodes share the store
 * (retention purges): a node claims a job by moving its {@code job_runs} row forward in one conditional
 * UPDATE, which only one node's statement can win. It works on H2 and PostgreSQL alike, needs no lock held
 * across the job, and a node that dies mid-job only delays the next run by one interval. Like ShedLock's JDBC
 * provider it compares the nodes' clocks: run NTP on every node.
 */
public final class ClusterJobs {

    private final DataSource ds;
    private final String node;
    private final Clock clock;

    public ClusterJobs(DataSource ds, String node, Clock clock) {
        this.ds = ds;
        this.node = node.length() > 300 ? node.substring(0, 300) : node;
        this.clock = clock;
    }

    /** True when this node may run {@code job} now: it last ran (anywhere) at least {@code every} ago. */
    public boolean claim(String job, Duration every) throws SQLException {
        Instant now = clock.instant();
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE job_runs SET last_run = ?, node = ? WHERE job = ? AND last_run <= ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, node);
                ps.setString(3, job);
                ps.setTimestamp(4, Timestamp.from(now.minus(every)));
                if (ps.executeUpdate() == 1) {
                    return true;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_runs (job, last_run, node) VALUES (?, ?, ?)")) {
                ps.setString(1, job);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setString(3, node);
                return ps.executeUpdate() == 1;
            } catch (SQLException exists) {
                return false; // it has a row: another node ran it within the interval (or inserted it just now)
            }
        }
    }
}
