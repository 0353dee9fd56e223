package org.mailseal.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A private Sendmail 8.17 instance for tests (Debian's sendmail-bin, unpacked by {@code .ci/sendmail-extract}
 * because it conflicts with postfix): its own .cf built with m4, its own queue, pid and alias files under
 * a temp dir, one daemon on a loopback port, everything relayed to {@code [127.0.0.1]:relayPort}, and
 * mailseal as its milter with {@code F=T} (tempfail when the milter is unavailable). It never touches
 * the system's mail setup. Needs root (as CI runs).
 */
public final class PrivateSendmail implements AutoCloseable {

    /** Where {@code .ci/sendmail-extract} unpacks sendmail-bin and sendmail-cf. */
    public static final String ROOT = "/opt/mailseal-peers/sendmail";
    public static final String BINARY = ROOT + "/usr/libexec/sendmail/sendmail";
    /** The hint a skip gives. */
    public static final String HOW = "run .ci/sendmail-extract (unpacks Debian's sendmail-bin 8.17, which conflicts with postfix)";

    public final Path dir;
    private final Path queue;
    private long pid;

    private PrivateSendmail(Path dir) {
        this.dir = dir;
        this.queue = dir.resolve("queue");
    }

    /**
     * @param smtpPort   where Sendmail takes mail
     * @param relayPort  the final destination (the smart host)
     * @param milterPort mailseal's milter
     */
    public static PrivateSendmail start(int smtpPort, int relayPort, int milterPort) throws Exception {
        String sendmail = Peers.requirePath(BINARY, HOW);
        String m4 = Peers.require("m4", "m4");
        Peers.requireRoot("a private Sendmail daemon starts as root (as CI runs)");
        Path dir = Files.createTempDirectory("mailseal-sendmail");
        PrivateSendmail s = new PrivateSendmail(dir);
        Files.createDirectories(s.queue);
        Files.setPosixFilePermissions(s.queue, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("service.switch"), "hosts files\naliases files\n");
        Files.writeString(dir.resolve("aliases"), "");
        String cf = ROOT + "/usr/share/sendmail/cf";
        // m4 quoting: `...'
        String mc = String.join("\n",
                "divert(-1)",
                "divert(0)dnl",
                "include(`" + cf + "/m4/cf.m4')dnl",
                "VERSIONID(`mailseal private test instance')dnl",
                "OSTYPE(`linux')dnl",
                "define(`confDOMAIN_NAME', `sendmail.test')dnl",
                "define(`confDONT_PROBE_INTERFACES', `True')dnl",
                "define(`confSERVICE_SWITCH_FILE', `" + dir.resolve("service.switch") + "')dnl",
                "define(`ALIAS_FILE', `" + dir.resolve("aliases") + "')dnl",
                "define(`QUEUE_DIR', `" + s.queue + "')dnl",
                "define(`confPID_FILE', `" + dir.resolve("sendmail.pid") + "')dnl",
                "define(`STATUS_FILE', `" + dir.resolve("statistics") + "')dnl",
                "define(`HELP_FILE', `" + dir.resolve("helpfile") + "')dnl",
                "define(`confHOST_STATUS_DIRECTORY', `')dnl",
                "define(`confBIND_OPTS', `-DNSRCH -DEFNAMES')dnl",
                "define(`confTO_CONNECT', `5s')dnl",
                "define(`confMIN_QUEUE_AGE', `0')dnl",
                "define(`confDELIVERY_MODE', `background')dnl",
                "define(`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe')dnl",
                "define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl",
                "define(`ESMTP_MAILER_ARGS', `TCP $h " + relayPort + "')dnl",
                "FEATURE(`no_default_msa')dnl",
                "FEATURE(`nocanonify')dnl",
                "FEATURE(`promiscuous_relay')dnl", // loopback only; mailseal's networks.trusted decides who may send out
                "FEATURE(`accept_unresolvable_domains')dnl",
                "DAEMON_OPTIONS(`Port=" + smtpPort + ", Addr=127.0.0.1, Name=MTA')dnl",
                // F=T: tempfail when the milter is down; timeouts: connect, send, read, end of message.
                "INPUT_MAIL_FILTER(`mailseal', `S=inet:" + milterPort + "@127.0.0.1, F=T, T=C:5s;S:30s;R:60s;E:5m')dnl",
                "MAILER(`smtp')dnl", "");
        Files.writeString(dir.resolve("test.mc"), mc);
        Cmd.Result built = Cmd.run(m4, dir.resolve("test.mc").toString());
        if (built.code() != 0) {
            throw new IllegalStateException("m4 failed: " + built.err());
        }
        Files.write(dir.resolve("test.cf"), built.out());
        // -bd: the SMTP daemon (it forks into the background and writes its pid file); -q2s: queue runs.
        // In its own UTS namespace with a qualified host name: with an unqualified one ("vm") Sendmail sleeps
        // a minute at start ("My unqualified host name ... sleeping for retry"). Its output to a file: the
        // daemon it forks keeps the descriptors open.
        String unshare = Peers.require("unshare", "util-linux");
        Process p = new ProcessBuilder(unshare, "--uts", "sh", "-c", "hostname sendmail.test && exec \"$0\" \"$@\"",
                sendmail, "-C", dir.resolve("test.cf").toString(), "-bd", "-q2s")
                .redirectInput(new java.io.File("/dev/null")) // with stdin a pipe it never forks away
                .redirectErrorStream(true).redirectOutput(dir.resolve("sendmail.out").toFile()).start();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("sendmail -bd failed: " + Files.readString(dir.resolve("sendmail.out")));
        }
        TestGateway.waitForPort(smtpPort, Duration.ofSeconds(20));
        s.pid = Long.parseLong(Files.readAllLines(dir.resolve("sendmail.pid")).get(0).trim());
        return s;
    }

    /** Messages in Sendmail's queue (one qf file each). */
    public long queued() throws IOException {
        try (Stream<Path> st = Files.list(queue)) {
            return st.filter(p -> p.getFileName().toString().startsWith("qf")).count();
        }
    }

    @Override
    public void close() throws Exception {
        if (pid > 0) {
            Cmd.run("kill", String.valueOf(pid));
            for (int i = 0; i < 50 && Files.exists(Path.of("/proc/" + pid)); i++) {
                Thread.sleep(100);
            }
            if (Files.exists(Path.of("/proc/" + pid))) {
                Cmd.run("kill", "-9", String.valueOf(pid));
            }
        }
        Cmd.run("rm", "-rf", dir.toString());
    }
}
