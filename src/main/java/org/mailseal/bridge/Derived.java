package org.mailseal.bridge;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The content items of a message (RFC 3501 §7.4.2: RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY), computed once
 * from the plaintext as served and kept in the encrypted {@link Cache} beside it: a client listing a mailbox
 * gets them without the message being decrypted and parsed again.
 */
record Derived(long size, String envelope, String bodyStructure, String body) {

    static Derived of(byte[] message) {
        return of(message, MimeTree.parse(message));
    }

    /** From a message already parsed (a FETCH of sections and structure at once parses it once). */
    static Derived of(byte[] message, MimeTree.Entity tree) {
        return new Derived(message.length, MimeTree.envelope(tree.header()), MimeTree.bodyStructure(message, tree), MimeTree.body(message, tree));
    }

    /** The cache identity of a message's derived items: its own identity and a mark (another length, so never a message's). */
    static byte[] id(byte[] messageId) {
        byte[] id = java.util.Arrays.copyOf(messageId, messageId.length + 1);
        id[messageId.length] = 'D';
        return id;
    }

    byte[] encode() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(b)) {
            o.writeByte(1); // format
            o.writeLong(size);
            for (String s : new String[] {envelope, bodyStructure, body}) {
                byte[] u = s.getBytes(StandardCharsets.UTF_8);
                o.writeInt(u.length);
                o.write(u);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        return b.toByteArray();
    }

    /** The items from {@link #encode}'s bytes; null for bytes of another format. */
    static Derived decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readByte() != 1) {
                return null;
            }
            long size = in.readLong();
            String[] s = new String[3];
            for (int i = 0; i < 3; i++) {
                byte[] u = new byte[in.readInt()];
                in.readFully(u);
                s[i] = new String(u, StandardCharsets.UTF_8);
            }
            return new Derived(size, s[0], s[1], s[2]);
        } catch (IOException | NegativeArraySizeException e) {
            return null;
        }
    }
}
