package org.mailseal.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private Postfix instance for tests: its own config, queue and data directories under a temp dir,
 * on loopback ports, relaying everything to {@code [127.0.0.1]:relayPort}. It never touches the system
 * Postfix. Needs root (as CI runs) and the Debian package postfix.
 */
public final class PrivatePostfix implements AutoCloseable {

    public final Path dir;
    public final Path etc;
    private final String postfix;

    private PrivatePostfix(Path dir, String postfix) {
        this.dir = dir;
        this.etc = dir.resolve("etc");
        this.postfix = postfix;
    }

    /**
     * @param smtpPort   where Postfix takes mail (the "port 25" of the test)
     * @param relayPort  the final destination ({@code relayhost})
     * @param mainExtra  more main.cf lines (e.g. mailseal's content_filter)
     * @param masterExtra more master.cf lines (e.g. mailseal's transport and reinjection smtpd)
     */
    public static PrivatePostfix start(int smtpPort, int relayPort, String mainExtra, String masterExtra) throws Exception {
        String postfix = Peers.require("postfix", "postfix");
        Peers.requireRoot("a private Postfix instance starts its master as root (as CI runs)");
        Path dir = Files.createTempDirectory("mailseal-postfix");
        // Postfix daemons run as user postfix: the directories must be reachable.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivatePostfix p = new PrivatePostfix(dir, postfix);
        Files.createDirectories(p.etc);
        Files.createDirectories(dir.resolve("queue"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Cmd.run("chown", "postfix", data.toString()).ok("chown data_directory");
        Files.writeString(p.etc.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + dir.resolve("queue"),
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = postfix.test",
                "mydomain = postfix.test",
                "myorigin = postfix.test",
                "mydestination =",
                "inet_interfaces = loopback-only",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "relayhost = [127.0.0.1]:" + relayPort,
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                "maillog_file = " + dir.resolve("maillog"),
                "maillog_file_prefixes = " + dir,
                "smtp_tls_security_level = none",
                "smtpd_tls_security_level = none",
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =",
                "biff = no",
                "minimal_backoff_time = 1s",
                "maximal_backoff_time = 2s",
                "queue_run_delay = 1s",
                "smtp_connect_timeout = 5s",
                mainExtra, ""));
        Files.writeString(p.etc.resolve("master.cf"), String.join("\n",
                "127.0.0.1:" + smtpPort + " inet n - n - - smtpd",
                "pickup    unix  n       -       n       60      1       pickup",
                "cleanup   unix  n       -       n       -       0       cleanup",
                "qmgr      unix  n       -       n       300     1       qmgr",
                "rewrite   unix  -       -       n       -       -       trivial-rewrite",
                "bounce    unix  -       -       n       -       0       bounce",
                "defer     unix  -       -       n       -       0       bounce",
                "trace     unix  -       -       n       -       0       bounce",
                "verify    unix  -       -       n       -       1       verify",
                "flush     unix  n       -       n       1000?   0       flush",
                "proxymap  unix  -       -       n       -       -       proxymap",
                "smtp      unix  -       -       n       -       -       smtp",
                "relay     unix  -       -       n       -       -       smtp",
                "showq     unix  n       -       n       -       -       showq",
                "error     unix  -       -       n       -       -       error",
                "retry     unix  -       -       n       -       -       error",
                "discard   unix  -       -       n       -       -       discard",
                "lmtp      unix  -       -       n       -       -       lmtp",
                "anvil     unix  -       -       n       -       1       anvil",
                "scache    unix  -       -       n       -       1       scache",
                "postlog   unix-dgram n  -       n       -       1       postlogd",
                masterExtra, ""));
        p.postfix("start").ok("postfix start (see " + dir.resolve("maillog") + ")");
        TestGateway.waitForPort(smtpPort, Duration.ofSeconds(20));
        return p;
    }

    public Cmd.Result postfix(String... args) throws Exception {
        return Cmd.run(Cmd.concat(List.of(postfix, "-c", etc.toString()), args));
    }

    /** postqueue -f: try every deferred message now. */
    public void flush() throws Exception {
        Cmd.run("postqueue", "-c", etc.toString(), "-f").ok("postqueue -f");
    }

    /** Messages in the queue (incoming, active, deferred, hold). */
    public long queued() throws IOException {
        long n = 0;
        for (String q : List.of("incoming", "active", "deferred", "hold", "maildrop")) {
            Path d = dir.resolve("queue").resolve(q);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.walk(d)) {
                    n += s.filter(Files::isRegularFile).count();
                }
            }
        }
        return n;
    }

    public String log() throws IOException {
        Path l = dir.resolve("maillog");
        return Files.exists(l) ? Files.readString(l) : "";
    }

    @Override
    public void close() throws Exception {
        postfix("abort");
        Cmd.run("rm", "-rf", dir.toString());
    }
}
