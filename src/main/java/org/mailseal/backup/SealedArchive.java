package org.mailseal.backup;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The encrypted container of a backup, streamed in both directions. Layout (version 1):
 * <pre>
 *   "MAILSEAL-BACKUP\n" (16 bytes) | version (1 byte) | Argon2id memory KiB (4) | iterations (4) | salt (16) | nonce prefix (4)
 *   then chunks: final flag (1 byte) | length (4) | AES-256-GCM ciphertext of at most 64 KiB, with its tag
 * </pre>
 * The key is Argon2id (RFC 9106) of the backup passphrase with the salt; AES-GCM runs through the JDK. Each
 * chunk's nonce is the prefix and the chunk's number, and its associated data the whole header, the number
 * and the final flag: a chunk moved, dropped, repeated or changed, a header changed, or a file cut short
 * (no final chunk) fails to open. Nothing read is handed on before its chunk's tag checked.
 */
final class SealedArchive {

    static final byte[] MAGIC = "MAILSEAL-BACKUP\n".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int CHUNK = 64 * 1024;

    /** The backup cannot be opened: wrong passphrase, changed, cut short, or not a backup. */
    static final class Refused extends IOException {
        Refused(String m) {
            super(m);
        }
    }

    private SealedArchive() {
    }

    static byte[] key(char[] passphrase, byte[] salt, int memoryKiB, int iterations) {
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withSalt(salt).withMemoryAsKB(memoryKiB)
                .withIterations(iterations).withParallelism(1).build());
        byte[] out = new byte[32];
        g.generateBytes(passphrase, out);
        return out;
    }

    /** Writes the header; the returned stream encrypts what is written to it, and ends the archive on close. */
    static OutputStream writer(OutputStream out, char[] passphrase, int memoryKiB, int iterations) throws IOException {
        SecureRandom r = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] prefix = new byte[4];
        r.nextBytes(salt);
        r.nextBytes(prefix);
        byte[] header = header(VERSION, memoryKiB, iterations, salt, prefix);
        out.write(header);
        SecretKeySpec key = new SecretKeySpec(key(passphrase, salt, memoryKiB, iterations), "AES");
        DataOutputStream o = new DataOutputStream(out);
        return new OutputStream() {
            private final byte[] buf = new byte[CHUNK];
            private int n;
            private long counter;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                if (n == CHUNK) {
                    flushChunk(false);
                }
                buf[n++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (n == CHUNK) {
                        flushChunk(false);
                    }
                    int k = Math.min(len, CHUNK - n);
                    System.arraycopy(b, off, buf, n, k);
                    n += k;
                    off += k;
                    len -= k;
                }
            }

            private void flushChunk(boolean last) throws IOException {
                try {
                    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce(prefix, counter)));
                    c.updateAAD(aad(header, counter, last));
                    byte[] ct = c.doFinal(buf, 0, n);
                    o.writeByte(last ? 1 : 0);
                    o.writeInt(ct.length);
                    o.write(ct);
                } catch (GeneralSecurityException e) {
                    throw new IOException("backup encryption: " + e.getMessage(), e);
                }
                counter++;
                n = 0;
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    flushChunk(true);
                    o.flush();
                    out.close();
                }
            }
        };
    }

    /** Reads and checks the header; the returned stream yields the plaintext, chunk by checked chunk. */
    static InputStream reader(InputStream in, char[] passphrase) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        try {
            d.readFully(magic);
        } catch (EOFException e) {
            throw new Refused("not a mailseal backup (too short)");
        }
        if (!Arrays.equals(magic, MAGIC)) {
            throw new Refused("not a mailseal backup");
        }
        int version = d.readUnsignedByte();
        if (version != VERSION) {
            throw new Refused("backup container version " + version + " is newer than this mailseal reads (" + VERSION + ")");
        }
        int memoryKiB = d.readInt();
        int iterations = d.readInt();
        if (memoryKiB < 8 || memoryKiB > 4 * 1024 * 1024 || iterations < 1 || iterations > 100) {
            throw new Refused("backup header damaged (key derivation parameters)");
        }
        byte[] salt = new byte[16];
        byte[] prefix = new byte[4];
        d.readFully(salt);
        d.readFully(prefix);
        byte[] header = header(version, memoryKiB, iterations, salt, prefix);
        SecretKeySpec key = new SecretKeySpec(key(passphrase, salt, memoryKiB, iterations), "AES");
        return new InputStream() {
            private byte[] plain = new byte[0];
            private int pos;
            private long counter;
            private boolean done;

            private boolean fill() throws IOException {
                while (pos == plain.length) {
                    if (done) {
                        return false;
                    }
                    int flag;
                    int len;
                    try {
                        flag = d.readUnsignedByte();
                        len = d.readInt();
                    } catch (EOFException e) {
                        throw new Refused("the backup is cut short (its last part is missing)");
                    }
                    if (flag > 1 || len < 16 || len > CHUNK + 16) {
                        throw new Refused("the backup is damaged (part " + counter + ")");
                    }
                    byte[] ct = new byte[len];
                    try {
                        d.readFully(ct);
                    } catch (EOFException e) {
                        throw new Refused("the backup is cut short");
                    }
                    try {
                        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce(prefix, counter)));
                        c.updateAAD(aad(header, counter, flag == 1));
                        plain = c.doFinal(ct);
                    } catch (AEADBadTagException e) {
                        throw new Refused(counter == 0 ? "wrong passphrase, or the backup was changed"
                                : "the backup was changed (part " + counter + " does not check)");
                    } catch (GeneralSecurityException e) {
                        throw new IOException("backup decryption: " + e.getMessage(), e);
                    }
                    pos = 0;
                    counter++;
                    if (flag == 1) {
                        done = true;
                        if (d.read() != -1) {
                            throw new Refused("the backup has data after its end");
                        }
                    }
                }
                return true;
            }

            @Override
            public int read() throws IOException {
                return fill() ? plain[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int k = Math.min(len, plain.length - pos);
                System.arraycopy(plain, pos, b, off, k);
                pos += k;
                return k;
            }
        };
    }

    /** The header's bytes: written first, and bound into every part as associated data. */
    private static byte[] header(int version, int memoryKiB, int iterations, byte[] salt, byte[] prefix) {
        return ByteBuffer.allocate(MAGIC.length + 1 + 4 + 4 + salt.length + prefix.length).put(MAGIC).put((byte) version)
                .putInt(memoryKiB).putInt(iterations).put(salt).put(prefix).array();
    }

    private static byte[] nonce(byte[] prefix, long counter) {
        return ByteBuffer.allocate(12).put(prefix).putLong(counter).array();
    }

    private static byte[] aad(byte[] header, long counter, boolean last) {
        return ByteBuffer.allocate(header.length + 9).put(header).putLong(counter).put((byte) (last ? 1 : 0)).array();
    }
}
