package org.mailseal.demo;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.mailseal.Gateway;
import org.mailseal.config.ConfigLoader;
import org.mailseal.config.MailsealConfig;
import org.mailseal.crypto.pgp.PgpDecryptor;
import org.mailseal.crypto.pgp.PgpKeys;
import org.mailseal.keys.MasterKey;
import org.mailseal.keys.MasterPassphrase;
import org.mailseal.keys.PgpKeyStore;
import org.mailseal.store.Database;

/**
 * {@code mailseal demo}: mailseal on free loopback ports in front of an embedded "cloud mailbox"
 * (GreenMail SMTP+IMAP). Sends one message through and shows what the mailbox stored.
 */
public final class Demo {

    private final PrintStream out;
    private final boolean smime;

    /** {@code smime}: encrypt with S/MIME to a certificate from the built-in CA instead of OpenPGP. */
    public Demo(PrintStream out, boolean smime) {
        this.out = out;
        this.smime = smime;
    }

    public int run() throws Exception {
        Path dataDir = Files.createTempDirectory("mailseal-demo");
        int mboxSmtp = freePort();
        int mboxImap = freePort();
        GreenMail cloud = new GreenMail(new ServerSetup[] {
            new ServerSetup(mboxSmtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
            new ServerSetup(mboxImap, "127.0.0.1", ServerSetup.PROTOCOL_IMAP)});
        cloud.start();
        cloud.setUser("alice@example.com", "alice", "demo-password");
        int port = freePort();
        int webPort = freePort();
        int bridgePort = freePort();
        Path master = dataDir.resolve("master.pass");
        Files.writeString(master, "demo master passphrase, not for production\n");
        Files.setPosixFilePermissions(master, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        MailsealConfig config = ConfigLoader.parse("demo", String.join("\n",
                "hostname: gateway.example.com",
                "dataDir: " + dataDir,
                "keys: {masterPassphraseFile: \"" + master + "\", argon2MemoryKiB: 19456, argon2Iterations: 2}",
                "policy: {encrypt: mandatory, onMissingKey: generate, method: " + (smime ? "smime" : "openpgp")
                        + ", generateMethod: " + (smime ? "smime" : "openpgp") + "}",
                "smtp: {listen: \"127.0.0.1:" + port + "\"}",
                "metrics: {enabled: false}",
                "relay: {defaultRoute: \"[127.0.0.1]:" + mboxSmtp + "\", tls: none}",
                "domains: {local: [example.com], policies: {example.com: {generateFor: alice}}}", // keys only for the known mailbox
                "networks: {trusted: [], xforward: []}",
                // The demo runs offline: no DNS for SPF, DKIM and DMARC (the Authentication section of the README).
                "authentication: {verifyInbound: false}",
                // the web admin, on loopback, with the gateway's self-signed certificate; one admin, whose password is made now
                "web: {enabled: true, listen: \"127.0.0.1:" + webPort + "\", admins: [admin@example.com]}",
                // the decrypting IMAP bridge in front of the same mailbox (loopback only: login without STARTTLS allowed)
                "bridge: {enabled: true, listen: \"127.0.0.1:" + bridgePort + "\", upstream: \"imap://127.0.0.1:" + mboxImap
                        + "\", upstreamRequireTls: false, allowPlainLogin: true}"));
        if (smime) {
            initCa(config);
        }
        String adminPassword = oneTimePassword();
        String alicePassword = oneTimePassword();
        try (Database db = Database.open(config)) {
            org.mailseal.auth.UserStore users = new org.mailseal.auth.UserStore(db.dataSource(), new org.mailseal.auth.PasswordHasher(
                    config.auth().argon2MemoryKiB(), config.auth().argon2Iterations()));
            users.add("admin@example.com", adminPassword);
            users.add("alice@example.com", alicePassword);
            // alice's login to her cloud mailbox, for the bridge (sealed under the master key)
            new org.mailseal.imap.ImapLogins(db.dataSource()).put("alice@example.com", "alice", "demo-password".toCharArray(),
                    MasterPassphrase.unlock(config, db.dataSource()));
        }
        try (Gateway g = Gateway.start(config)) {
            out.println("== mailseal demo ==");
            out.println("cloud mailbox (GreenMail): SMTP 127.0.0.1:" + mboxSmtp + ", IMAP 127.0.0.1:" + mboxImap);
            out.println("mailseal:                  SMTP 127.0.0.1:" + port + " -> relay [127.0.0.1]:" + mboxSmtp);
            out.println();
            out.println("-- SMTP conversation (internet -> mailseal) --");
            String reply = send(port, """
                    From: Bob <bob@internet.example>\r
                    To: Alice <alice@example.com>\r
                    Subject: Quarterly figures\r
                    Message-ID: <demo-1@internet.example>\r
                    MIME-Version: 1.0\r
                    Content-Type: text/plain; charset=utf-8\r
                    \r
                    Hello Alice,\r
                    the figures are attached in spirit. Grüße!\r
                    """);
            String queueId = reply.replaceAll(".*queued as ([0-9A-F]+).*", "$1");
            out.println();
            out.println("queue id: " + queueId);
            out.println("route:    alice@example.com -> " + config.relay().defaultRoute() + " (inbound, local domain example.com)");
            out.println();
            out.println("-- what the cloud mailbox stored (fetched over IMAP): ciphertext, subject hidden --");
            String stored = fetch(mboxImap);
            out.println(stored);
            out.println("-- end --");
            out.println();
            if (smime) {
                showSmimeDecryption(config, dataDir, stored);
            } else {
                showDecryption(config, dataDir, stored);
            }
            out.println();
            out.println("-- the same message read through mailseal's IMAP bridge (what a mail client without keys sees) --");
            out.println(fetch(g.bridge().port(), "alice@example.com", alicePassword));
            out.println("-- end --");
            out.println("a mail client reads it like this: IMAP 127.0.0.1:" + g.bridge().port() + ", user alice@example.com, password "
                    + alicePassword);
            out.println();
            out.println("-- the web admin --");
            out.println("web admin: https://127.0.0.1:" + g.web().port() + "/  (a self-signed certificate: your browser warns once)");
            out.println("log in as admin@example.com with the one-time password " + adminPassword);
            out.println("then see: Keys (alice's key), Mail log (search " + queueId + "), Why? (alice@example.com), Dashboard");
            if (System.console() != null) {
                out.println("Press Enter to stop the demo (the web admin runs until then).");
                out.flush();
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            }
        } finally {
            cloud.stop();
        }
        return 0;
    }

    /** A random password for this demo's admin (the data directory is new for each run). */
    static String oneTimePassword() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        java.security.SecureRandom r = new java.security.SecureRandom();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static void initCa(MailsealConfig config) throws Exception {
        try (Database db = Database.open(config)) {
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            java.security.KeyPair kp = org.mailseal.crypto.smime.CertificateAuthority.keyPair(org.mailseal.crypto.smime.CertificateAuthority.Algo.RSA3072);
            new org.mailseal.keys.SmimeStore(db.dataSource()).initCa(
                    org.mailseal.crypto.smime.CertificateAuthority.createCa(kp, "mailseal demo CA", java.time.Duration.ofDays(365)), kp.getPrivate(), mk);
        }
    }

    /** Decrypts the stored S/MIME message with the certificate the built-in CA issued for alice; prints the openssl command. */
    private void showSmimeDecryption(MailsealConfig config, Path dir, String stored) throws Exception {
        if (!stored.contains("application/pkcs7-mime")) {
            out.println("(no S/MIME message found in the mailbox!)");
            return;
        }
        Path message = dir.resolve("message.eml");
        Files.writeString(message, stored);
        try (Database db = Database.open(config)) {
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            org.mailseal.keys.SmimeStore store = new org.mailseal.keys.SmimeStore(db.dataSource());
            String fpr = store.list("alice@example.com").get(0).fingerprint();
            java.security.cert.X509Certificate cert = store.cert(fpr).orElseThrow();
            java.security.PrivateKey key = store.privateKey(fpr, mk).orElseThrow();
            Path keyPem = dir.resolve("alice.key");
            Path certPem = dir.resolve("alice.pem");
            Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n");
            Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            String body = stored.substring(stored.indexOf("\r\n\r\n") + 4);
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            org.mailseal.crypto.smime.SmimeDecryptor.decrypt(new java.io.ByteArrayInputStream(java.util.Base64.getMimeDecoder().decode(body)), false, cert, key, plain);
            out.println("mailseal's built-in CA issued S/MIME certificate " + fpr + " for alice@example.com and encrypted to it.");
            out.println("Alice would import it once into her mail client: mailseal ca export-p12 --email alice@example.com --out alice.p12");
            out.println("Decrypt it yourself with OpenSSL:");
            out.println("  openssl cms -decrypt -binary -in " + message + " -inkey " + keyPem + " -recip " + certPem);
            out.println();
            out.println("-- the decrypted original --");
            out.println(plain.toString(StandardCharsets.UTF_8));
            out.println("-- end --");
        }
    }

    /** Decrypts the stored message with the key mailseal generated for alice, and says how to do it with gpg. */
    private void showDecryption(MailsealConfig config, Path dir, String stored) throws Exception {
        int begin = stored.indexOf("-----BEGIN PGP MESSAGE-----");
        int end = stored.indexOf("-----END PGP MESSAGE-----");
        if (begin < 0 || end < 0) {
            out.println("(no OpenPGP message found in the mailbox!)");
            return;
        }
        Path armored = dir.resolve("message.asc");
        Files.writeString(armored, stored.substring(begin, end + "-----END PGP MESSAGE-----".length()) + "\n");
        try (Database db = Database.open(config)) {
            MasterKey mk = MasterPassphrase.unlock(config, db.dataSource());
            PgpKeyStore store = new PgpKeyStore(db.dataSource());
            String fpr = store.list("alice@example.com").get(0).fingerprint();
            PGPSecretKeyRing secret = store.secret(fpr, mk).orElseThrow();
            Path key = dir.resolve("alice-secret.asc");
            Files.write(key, PgpKeys.armor(PgpKeys.protect(secret, "demo-passphrase".toCharArray()).getEncoded()));
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            try (InputStream in = Files.newInputStream(armored)) {
                PgpDecryptor.decrypt(in, secret, plain);
            }
            out.println("mailseal generated OpenPGP key " + fpr + " for alice@example.com and encrypted to it.");
            Files.createDirectories(dir.resolve("gnupg"));
            Files.setPosixFilePermissions(dir.resolve("gnupg"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            out.println("Decrypt it yourself with GnuPG (key passphrase: demo-passphrase; the --homedir exists, empty):");
            out.println("  gpg --homedir " + dir.resolve("gnupg") + " --batch --pinentry-mode loopback --passphrase demo-passphrase --import " + key);
            out.println("  gpg --homedir " + dir.resolve("gnupg") + " --batch --pinentry-mode loopback --passphrase demo-passphrase --decrypt " + armored);
            out.println();
            out.println("-- the decrypted original (protected headers restored inside, HP-Outer records what the provider saw) --");
            out.println(plain.toString(StandardCharsets.UTF_8));
            out.println("-- end --");
        }
    }

    private String send(int port, String message) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream o = s.getOutputStream();
            String last = read(in);
            String[] cmds = {"EHLO internet.example", "MAIL FROM:<bob@internet.example> BODY=8BITMIME", "RCPT TO:<alice@example.com>", "DATA"};
            for (String c : cmds) {
                out.println("C: " + c);
                o.write((c + "\r\n").getBytes(StandardCharsets.UTF_8));
                o.flush();
                last = read(in);
            }
            out.println("C: (" + message.length() + " characters of message)");
            o.write((message + ".\r\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
            last = read(in);
            o.write("QUIT\r\n".getBytes(StandardCharsets.UTF_8));
            o.flush();
            read(in);
            return last;
        }
    }

    private String read(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
            out.println("S: " + line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private static String fetch(int imapPort) throws Exception {
        return fetch(imapPort, "alice", "demo-password");
    }

    private static String fetch(int imapPort, String user, String password) throws Exception {
        Properties p = new Properties();
        p.put("mail.imap.host", "127.0.0.1");
        p.put("mail.imap.port", String.valueOf(imapPort));
        Store store = Session.getInstance(p).getStore("imap");
        store.connect(user, password);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            Message[] msgs = inbox.getMessages();
            if (msgs.length == 0) {
                return "(mailbox is empty!)";
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            msgs[msgs.length - 1].writeTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            store.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
