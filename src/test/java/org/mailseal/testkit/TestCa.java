package org.mailseal.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** A throw-away CA made with openssl, and a server certificate from it for some host names (PEM files). */
public record TestCa(Path caCertificate, Path certificate, Path privateKey, Path pkcs8Key) {

    /** CA and certificate (first name as CN, all as subjectAltName) under {@code dir}; 2 days valid. */
    public static TestCa make(Path dir, String... names) throws Exception {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.pem");
        Path caKey = dir.resolve("ca.key");
        Path crt = dir.resolve("server.pem");
        Path key = dir.resolve("server.key");
        Path csr = dir.resolve("server.csr");
        Path ext = dir.resolve("server.ext");
        Path pk8 = dir.resolve("server.pk8");
        Cmd.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "2",
                "-subj", "/CN=mailseal test CA").ok("openssl CA");
        Cmd.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", csr.toString(),
                "-subj", "/CN=" + names[0]).ok("openssl request");
        Files.writeString(ext, "subjectAltName=" + String.join(",", java.util.Arrays.stream(names).map(n -> "DNS:" + n).toList()) + "\n");
        Cmd.run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                "-out", crt.toString(), "-days", "2", "-extfile", ext.toString()).ok("openssl sign");
        Cmd.run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key.toString(), "-out", pk8.toString()).ok("openssl pkcs8");
        return new TestCa(ca, crt, key, pk8);
    }
}
