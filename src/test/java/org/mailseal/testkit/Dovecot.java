package org.mailseal.testkit;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real IMAP server for tests: Debian's Dovecot ({@code dovecot-imapd}) with a private configuration on
 * 127.0.0.1 at a free port, plaintext logins from a passwd file, Maildir under the test's directory (owned
 * by {@code nobody}), INBOX with Drafts, Sent and Trash (special-use). The master process runs as root and
 * drops to Dovecot's own users, as a packaged Dovecot does.
 */
public final class Dovecot implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final String binary;
    private Process process;

    public Dovecot(Path dir, String user, String password) throws Exception {
        this.binary = Peers.require("dovecot", "dovecot-imapd");
        Peers.requireRoot("Dovecot's master process binds and then drops to its own users");
        this.dir = Files.createDirectories(dir);
        this.port = TestGateway.freePort();
        // Dovecot's auth and mail processes run as its own users and as nobody: they must reach the files
        for (Path p = dir; p != null && p.getParent() != null && !p.equals(Path.of(System.getProperty("java.io.tmpdir"))); p = p.getParent()) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (String d : List.of("run", "state", "home")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("passwd"), user + ":{PLAIN}" + password + "\n");
        Files.writeString(dir.resolve("dovecot.conf"), String.join("\n",
                "base_dir = " + dir.resolve("run"),
                "state_dir = " + dir.resolve("state"),
                "log_path = " + dir.resolve("dovecot.log"),
                "protocols = imap",
                "listen = 127.0.0.1",
                "ssl = no",
                "disable_plaintext_auth = no",
                "auth_mechanisms = plain login",
                "default_login_user = dovenull",
                "default_internal_user = dovecot",
                "mail_location = maildir:~/Maildir",
                "passdb {", "  driver = passwd-file", "  args = scheme=PLAIN username_format=%u " + dir.resolve("passwd"), "}",
                "userdb {", "  driver = static", "  args = uid=65534 gid=65534 home=" + dir.resolve("home") + "/%u", "}",
                "service imap-login {", "  chroot =", "  inet_listener imap {", "    address = 127.0.0.1", "    port = " + port, "  }",
                "  inet_listener imaps {", "    port = 0", "  }", "}",
                "service anvil {", "  chroot =", "}",
                "namespace inbox {", "  inbox = yes", "  separator = /",
                "  mailbox Drafts {", "    special_use = \\Drafts", "    auto = create", "  }",
                "  mailbox Sent {", "    special_use = \\Sent", "    auto = create", "  }",
                "  mailbox Trash {", "    special_use = \\Trash", "    auto = create", "  }", "}",
                "protocol imap {", "  mail_max_userip_connections = 100", "}", ""));
        Cmd.run("chown", "-R", "65534:65534", dir.resolve("home").toString()).ok("chown");
        start();
    }

    /** Starts Dovecot (again, after {@link #stop}: the same port and mail store, as after a provider's outage). */
    public void start() throws Exception {
        process = new ProcessBuilder(binary, "-F", "-c", dir.resolve("dovecot.conf").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dovecot.out").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dovecot exited: " + Files.readString(dir.resolve("dovecot.out")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        close();
        throw new IllegalStateException("dovecot did not start: " + Files.readString(dir.resolve("dovecot.out")));
    }

    public int port() {
        return port;
    }

    /** Where the user's Maildir is (to check what lies at rest). */
    public Path home() {
        return dir.resolve("home");
    }

    /** Stops Dovecot: its connections drop, as in a provider's outage. */
    public void stop() throws Exception {
        close();
    }

    @Override
    public void close() throws Exception {
        List<ProcessHandle> children = process.descendants().toList(); // its login and imap processes end after it
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        for (ProcessHandle c : children) {
            try {
                c.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                c.destroyForcibly();
            }
        }
    }
}
