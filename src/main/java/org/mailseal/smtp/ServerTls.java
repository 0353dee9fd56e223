package org.mailseal.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's STARTTLS certificate: the configured PEM pair, or a self-signed one generated on first
 * start and kept in {@code <dataDir>/tls/} (key store readable by the owner only).
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger("tls");

    private ServerTls() {
    }

    public static SSLContext context(Path certificate, Path privateKey, Path dataDir, String hostname)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] pass = load(ks, certificate, privateKey, dataDir, hostname);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** The certificate the server presents (the configured one, or the generated one, made now if missing). */
    public static java.security.cert.X509Certificate certificate(Path certificate, Path privateKey, Path dataDir, String hostname)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        load(ks, certificate, privateKey, dataDir, hostname);
        return (java.security.cert.X509Certificate) ks.getCertificate("server");
    }

    private static char[] load(KeyStore ks, Path certificate, Path privateKey, Path dataDir, String hostname)
            throws IOException, GeneralSecurityException {
        char[] pass;
        if (certificate != null) {
            pass = new char[0];
            ks.load(null, null);
            ks.setKeyEntry("server", readKey(privateKey), pass, readChain(certificate));
        } else {
            Path dir = dataDir.resolve("tls");
            Path store = dir.resolve("server.p12");
            Path passFile = dir.resolve("server.pass");
            if (!Files.exists(store)) {
                generate(dir, store, passFile, hostname);
            }
            pass = Files.readString(passFile).strip().toCharArray();
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, pass);
            }
        }
        return pass;
    }

    private static void generate(Path dir, Path store, Path passFile, String hostname) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        X500Name name = new X500Name("CN=" + hostname.replaceAll("[,=+<>#;\"\\\\]", ""));
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), name, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, hostname)));
        X509Certificate cert;
        try {
            cert = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String pass = Base64.getEncoder().encodeToString(raw);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", kp.getPrivate(), pass.toCharArray(), new Certificate[] {cert});
        Path tmpPass = Files.createTempFile(dir, "pass", ".tmp");
        setOwnerOnly(tmpPass);
        Files.writeString(tmpPass, pass);
        Path tmpStore = Files.createTempFile(dir, "store", ".tmp");
        setOwnerOnly(tmpStore);
        try (OutputStream o = Files.newOutputStream(tmpStore)) {
            ks.store(o, pass.toCharArray());
        }
        Files.move(tmpPass, passFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmpStore, store, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.info("generated a self-signed STARTTLS certificate for {} in {}", hostname, store);
    }

    private static void setOwnerOnly(Path p) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system
        }
    }

    private static Certificate[] readChain(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new GeneralSecurityException("no certificate in " + pem);
            }
            return certs.toArray(new Certificate[0]);
        }
    }

    private static PrivateKey readKey(Path pem) throws IOException, GeneralSecurityException {
        try (Reader r = Files.newBufferedReader(pem); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) {
                return conv.getKeyPair(kp).getPrivate();
            }
            if (o instanceof PrivateKeyInfo pki) {
                return conv.getPrivateKey(pki);
            }
            throw new GeneralSecurityException("no unencrypted private key in " + pem);
        }
    }
}
