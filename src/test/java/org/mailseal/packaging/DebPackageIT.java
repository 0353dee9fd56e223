package org.mailseal.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailseal.testkit.CapturingSink;
import org.mailseal.testkit.Cmd;
import org.mailseal.testkit.NeedsPeers;
import org.mailseal.testkit.Peers;
import org.mailseal.testkit.SmtpClient;
import org.mailseal.testkit.TestGateway;

/**
 * The Debian package the build made (after {@code package}, so an integration test): its contents, lintian,
 * {@code dpkg -i} (user, data dir, next steps), the installed command, the systemd unit
 * ({@code systemd-analyze verify}), the installed gateway relaying a message when its unit's ExecStart is
 * run as the unit's user, then {@code dpkg -r} (config and data kept) and {@code dpkg -P} (all gone).
 * It installs on this machine: it runs as root, as CI does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsPeers({"dpkg=dpkg", "lintian=lintian", "systemd-analyze=systemd", "runuser=util-linux", "root=dpkg -i installs the package on this machine"})
class DebPackageIT {

    Path deb;

    @BeforeAll
    void setUp() throws Exception {
        Peers.require("dpkg", "dpkg");
        Peers.require("lintian", "lintian");
        Peers.require("systemd-analyze", "systemd");
        Peers.requireRoot("dpkg -i installs the package on this machine");
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            deb = s.filter(p -> p.getFileName().toString().matches("mailseal_.*_all\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("no target/mailseal_*_all.deb: run mvn package first"));
        }
        Cmd.run("dpkg", "-P", "mailseal"); // a leftover from an interrupted run
    }

    @AfterAll
    void tearDown() throws Exception {
        Cmd.run("dpkg", "-P", "mailseal");
    }

    @Test
    @Order(1)
    void theContentsAreWhereDebianWantsThem() throws Exception {
        String listing = Cmd.run("dpkg-deb", "-c", deb.toString()).ok("dpkg-deb -c").outText();
        assertThat(listing).contains("./usr/share/mailseal/mailseal.jar", "./usr/bin/mailseal", "./etc/mailseal/mailseal.yml",
                "./lib/systemd/system/mailseal.service", "./usr/share/doc/mailseal/copyright", "./usr/share/man/man1/mailseal.1.gz");
        assertThat(listing).containsPattern("-rwxr-xr-x root/root +\\d+ [-0-9: ]+\\./usr/bin/mailseal");
        String info = Cmd.run("dpkg-deb", "-I", deb.toString()).ok("dpkg-deb -I").outText();
        assertThat(info).contains("Depends: openjdk-17-jre-headless | java17-runtime-headless", "conffiles");
        // lintian: clean but for the one warning the README explains (Bouncy Castle's classes for Java 25 in
        // its multi-release jar, which Java 17 never loads)
        Cmd.Result l = Cmd.run("lintian", "--tag-display-limit", "0", deb.toString());
        List<String> tags = l.outText().lines().filter(x -> x.matches("[EWI]: .*")).toList();
        assertThat(tags).allMatch(t -> t.startsWith("W: mailseal: unknown-java-class-version META-INF/versions/"));
    }

    @Test
    @Order(2)
    void installingCreatesTheUserAndAPrivateDataDir() throws Exception {
        Cmd.Result i = Cmd.run("dpkg", "-i", deb.toString());
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(i.outText()).contains("mailseal is installed. Next:", "systemctl enable --now mailseal");
        assertThat(Cmd.run("id", "-u", "mailseal").code()).isZero();
        Path data = Path.of("/var/lib/mailseal");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
        assertThat(Cmd.run("stat", "-c", "%U", data.toString()).outText().strip()).isEqualTo("mailseal");
        assertThat(Cmd.run("/usr/bin/mailseal", "version").ok("mailseal version").outText()).startsWith("mailseal ");
        Cmd.Result check = Cmd.run("/usr/bin/mailseal", "check-config", "--config", "/etc/mailseal/mailseal.yml");
        assertThat(check.code()).as(check.err()).isZero();
        Cmd.Result verify = Cmd.run("systemd-analyze", "verify", "/lib/systemd/system/mailseal.service");
        assertThat(verify.code()).as(verify.err()).isZero();
        assertThat(verify.err()).doesNotContain("mailseal.service:");
    }

    @Test
    @Order(3)
    void theInstalledGatewayRelaysAMessage() throws Exception {
        try (CapturingSink sink = new CapturingSink()) {
            int port = TestGateway.freePort();
            Path pass = Path.of("/etc/mailseal/master.pass");
            Files.writeString(pass, "installed passphrase\n");
            Cmd.run("chown", "mailseal:mailseal", pass.toString()).ok("chown");
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(Path.of("/etc/mailseal/mailseal.yml"), "hostname: gw.test\ndataDir: /var/lib/mailseal\n"
                    + "domains: {local: [example.com]}\nsmtp: {listen: \"127.0.0.1:" + port + "\"}\n"
                    + "relay: {defaultRoute: \"[127.0.0.1]:" + sink.port() + "\", tls: none}\n"
                    + "keys: {masterPassphraseFile: /etc/mailseal/master.pass, argon2MemoryKiB: 1024, argon2Iterations: 1}\n"
                    + "policy: {encrypt: never}\nauthentication: {verifyInbound: false}\n");
            String unit = Files.readString(Path.of("/lib/systemd/system/mailseal.service"));
            String exec = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow().substring(10);
            String user = unit.lines().filter(l -> l.startsWith("User=")).findFirst().orElseThrow().substring(5);
            ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of("runuser", "-u", user, "--"), Stream.of(exec.split(" "))).toList());
            pb.environment().putAll(Map.of("JAVA_OPTS", "-Xmx256m"));
            Process p = pb.redirectErrorStream(true).redirectOutput(Path.of("target", "deb-gateway.log").toFile()).start();
            try {
                TestGateway.waitForPort(port, java.time.Duration.ofSeconds(60));
                String reply = SmtpClient.submit(port, "client.test", "bob@sender.test", "alice@example.com",
                        "From: bob@sender.test\r\nTo: alice@example.com\r\nSubject: installed\r\n\r\nthrough the installed gateway\r\n");
                assertThat(reply).startsWith("250");
                assertThat(sink.messages).hasSize(1);
                assertThat(sink.messages.get(0).text()).contains("through the installed gateway");
            } finally {
                p.destroy();
                p.waitFor();
            }
            assertThat(Cmd.run("find", "/var/lib/mailseal", "-not", "-user", "mailseal").outText().strip())
                    .as("everything the gateway wrote belongs to its user").isEmpty();
        }
    }

    @Test
    @Order(4)
    void removeKeepsConfigAndDataPurgeTakesThem() throws Exception {
        assertThat(Cmd.run("dpkg", "-r", "mailseal").code()).isZero();
        assertThat(Path.of("/usr/share/mailseal/mailseal.jar")).doesNotExist();
        assertThat(Path.of("/usr/bin/mailseal")).doesNotExist();
        assertThat(Path.of("/etc/mailseal/mailseal.yml")).exists();
        assertThat(Path.of("/var/lib/mailseal")).exists();
        assertThat(Cmd.run("dpkg", "-P", "mailseal").code()).isZero();
        assertThat(Path.of("/etc/mailseal")).doesNotExist();
        assertThat(Path.of("/var/lib/mailseal")).doesNotExist();
        assertThat(Cmd.run("id", "-u", "mailseal").code()).isNotZero();
    }
}
