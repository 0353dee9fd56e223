package org.mailseal.mime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;

/**
 * Walks a CMS ContentInfo (RFC 5652 §3) holding EnvelopedData (§6.1) or AuthEnvelopedData (RFC 5083
 * §2.1) as a stream of BER tag-length-value headers: every definite length must be filled exactly by
 * what it contains, every indefinite one closed, nothing may follow. The small parts (version,
 * RecipientInfos, algorithm identifiers, attributes, the MAC) are read whole and handed to Bouncy
 * Castle's parsers; the encrypted content is streamed through {@link CiphertextShape#looksRandom}
 * without being held. Anything else is "not CMS ciphertext".
 */
final class CmsShape {

    private static final int UNIVERSAL = 0x00;
    private static final int CONTEXT = 0x80;
    private static final int OCTET_STRING = 4;
    private static final int OID = 6;
    private static final int SEQUENCE = 16;
    private static final int SET = 17;
    private static final int MAX_SMALL = 1 << 16;

    private final PushbackInputStream in;
    private long pos;
    private final Deque<Long> ends = new ArrayDeque<>(); // end offset of each open definite element; -1 for indefinite

    private CmsShape(InputStream in) {
        this.in = new PushbackInputStream(in, 2);
    }

    private record Tlv(int tagClass, boolean constructed, int tagNo, long length, long start) {
        boolean is(int cls, int no) {
            return tagClass == cls && tagNo == no;
        }
    }

    static boolean check(InputStream in) throws IOException {
        try {
            return new CmsShape(in).contentInfo();
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            return false; // Bouncy Castle refused a part
        }
    }

    private boolean contentInfo() throws IOException {
        Tlv ci = enter(UNIVERSAL, SEQUENCE);
        ASN1ObjectIdentifier type = ASN1ObjectIdentifier.getInstance(small(header()));
        boolean auth = CMSObjectIdentifiers.authEnvelopedData.equals(type);
        if (!auth && !CMSObjectIdentifiers.envelopedData.equals(type)) {
            return false;
        }
        Tlv explicit = enter(CONTEXT, 0);
        Tlv env = enter(UNIVERSAL, SEQUENCE);
        int version = org.bouncycastle.asn1.ASN1Integer.getInstance(small(header())).intValueExact(); // CMSVersion
        if (version < 0 || version > (auth ? 0 : 4)) {
            return false;
        }
        Tlv next = header();
        if (next.is(CONTEXT, 0)) {
            small(next); // originatorInfo
            next = header();
        }
        if (!next.is(UNIVERSAL, SET) || !next.constructed()) {
            return false;
        }
        open(next);
        int recipients = 0;
        while (!atEnd()) {
            recipient(org.bouncycastle.asn1.cms.RecipientInfo.getInstance(small(header())));
            recipients++;
        }
        close();
        if (recipients == 0) {
            return false;
        }
        enter(UNIVERSAL, SEQUENCE); // (Auth)EncryptedContentInfo
        if (!CMSObjectIdentifiers.data.equals(ASN1ObjectIdentifier.getInstance(small(header())))) {
            return false; // S/MIME encrypts a MIME entity: the inner content type is id-data (RFC 8551 §3.3)
        }
        org.bouncycastle.asn1.x509.AlgorithmIdentifier.getInstance(small(header()));
        if (atEnd()) {
            return false; // detached content: nothing here is ciphertext we could vouch for
        }
        Tlv content = header();
        if (!content.is(CONTEXT, 0) || !encryptedContent(content)) {
            return false;
        }
        close();
        if (!tail(auth)) {
            return false;
        }
        close(); // env
        close(); // explicit [0]
        close(); // ContentInfo
        return in.read() < 0 && env != null && explicit != null && ci != null;
    }

    // A RecipientInfo of a known kind (RFC 5652 §6.2) whose identifiers read as a CMS parser reads them
    // (issuer names decode: a garbled DN is not a recipient anyone could be).
    private static void recipient(org.bouncycastle.asn1.cms.RecipientInfo ri) {
        org.bouncycastle.asn1.ASN1Encodable info = ri.getInfo();
        if (info instanceof org.bouncycastle.asn1.cms.KeyTransRecipientInfo kt) {
            identifier(kt.getRecipientIdentifier().getId());
        } else if (info instanceof org.bouncycastle.asn1.cms.KeyAgreeRecipientInfo ka) {
            for (org.bouncycastle.asn1.ASN1Encodable e : ka.getRecipientEncryptedKeys()) {
                org.bouncycastle.asn1.cms.KeyAgreeRecipientIdentifier id =
                        org.bouncycastle.asn1.cms.RecipientEncryptedKey.getInstance(e).getIdentifier();
                if (id.getIssuerAndSerialNumber() != null) {
                    identifier(id.getIssuerAndSerialNumber());
                }
            }
        }
    }

    private static void identifier(org.bouncycastle.asn1.ASN1Encodable id) {
        if (id instanceof org.bouncycastle.asn1.cms.IssuerAndSerialNumber || id instanceof org.bouncycastle.asn1.ASN1Sequence) {
            org.bouncycastle.asn1.cms.IssuerAndSerialNumber.getInstance(id).getName().toString();
        }
    }

    // [0] IMPLICIT OCTET STRING: primitive, or constructed of primitive OCTET STRING chunks (BER).
    private boolean encryptedContent(Tlv t) throws IOException {
        CiphertextShape.RandomCheck check = new CiphertextShape.RandomCheck();
        if (!t.constructed()) {
            stream(t.length(), check);
        } else {
            open(t);
            while (!atEnd()) {
                Tlv chunk = header();
                if (!chunk.is(UNIVERSAL, OCTET_STRING) || chunk.constructed()) {
                    return false;
                }
                stream(chunk.length(), check);
            }
            close();
        }
        return check.looksRandom(16);
    }

    /**
     * EnvelopedData: {@code [1] unprotectedAttrs} optional. AuthEnvelopedData: {@code [1] authAttrs}
     * optional, the {@code mac} OCTET STRING, {@code [2] unauthAttrs} optional.
     */
    private boolean tail(boolean auth) throws IOException {
        if (atEnd()) {
            return !auth;
        }
        Tlv t = header();
        if (t.is(CONTEXT, 1)) {
            small(t);
            if (atEnd()) {
                return !auth;
            }
            t = header();
        }
        if (!auth) {
            return false;
        }
        if (!t.is(UNIVERSAL, OCTET_STRING) || org.bouncycastle.asn1.ASN1OctetString.getInstance(small(t)).getOctets().length < 12) {
            return false;
        }
        if (!atEnd()) {
            Tlv u = header();
            if (!u.is(CONTEXT, 2)) {
                return false;
            }
            small(u);
        }
        return atEnd();
    }

    // ---- BER headers, with every length checked against its parent's ----

    private Tlv header() throws IOException {
        int b = next();
        int cls = b & 0xc0;
        boolean constructed = (b & 0x20) != 0;
        int no = b & 0x1f;
        if (no == 0x1f) {
            no = 0;
            int c;
            int n = 0;
            do {
                c = next();
                no = (no << 7) | (c & 0x7f);
                if (++n > 4) {
                    throw new IllegalArgumentException("tag too long");
                }
            } while ((c & 0x80) != 0);
        }
        int l = next();
        long length;
        if (l == 0x80) {
            if (!constructed) {
                throw new IllegalArgumentException("indefinite primitive");
            }
            length = -1;
        } else if (l < 0x80) {
            length = l;
        } else {
            int n = l & 0x7f;
            if (n > 4) {
                throw new IllegalArgumentException("length too long");
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | next();
            }
        }
        Long parentEnd = ends.peek();
        if (length >= 0 && parentEnd != null && parentEnd >= 0 && pos + length > parentEnd) {
            throw new IllegalArgumentException("element longer than its parent");
        }
        return new Tlv(cls, constructed, no, length, pos);
    }

    private Tlv enter(int cls, int no) throws IOException {
        Tlv t = header();
        if (!t.is(cls, no) || !t.constructed()) {
            throw new IllegalArgumentException("unexpected element");
        }
        open(t);
        return t;
    }

    private void open(Tlv t) {
        ends.push(t.length() < 0 ? -1 : pos + t.length());
    }

    private boolean atEnd() throws IOException {
        long end = ends.peek();
        if (end >= 0) {
            if (pos > end) {
                throw new IllegalArgumentException("overrun");
            }
            return pos == end;
        }
        int a = in.read();
        int b = in.read();
        if (b >= 0) {
            in.unread(b);
        }
        if (a >= 0) {
            in.unread(a);
        }
        if (a < 0) {
            throw new java.io.EOFException("indefinite element not closed");
        }
        return a == 0 && b == 0;
    }

    private void close() throws IOException {
        long end = ends.pop();
        if (end >= 0) {
            if (pos != end) {
                throw new IllegalArgumentException("element not filled exactly");
            }
        } else if (next() != 0 || next() != 0) {
            throw new IllegalArgumentException("missing end-of-contents");
        }
    }

    /** A whole small element, re-encoded for Bouncy Castle (indefinite lengths included). */
    private ASN1Primitive small(Tlv t) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        copy(t, raw);
        return ASN1Primitive.fromByteArray(raw.toByteArray());
    }

    // Writes the element's encoding (header as read, then contents) to out, at most MAX_SMALL bytes.
    private void copy(Tlv t, ByteArrayOutputStream out) throws IOException {
        writeHeader(t, out);
        if (t.length() >= 0 && !t.constructed()) {
            if (t.length() > MAX_SMALL - out.size()) {
                throw new IllegalArgumentException("element too large");
            }
            for (long i = 0; i < t.length(); i++) {
                out.write(next());
            }
            return;
        }
        open(t);
        while (!atEnd()) {
            copy(header(), out);
            if (out.size() > MAX_SMALL) {
                throw new IllegalArgumentException("element too large");
            }
        }
        close();
        if (t.length() < 0) {
            out.write(0);
            out.write(0);
        }
    }

    private static void writeHeader(Tlv t, ByteArrayOutputStream out) {
        int first = t.tagClass() | (t.constructed() ? 0x20 : 0);
        if (t.tagNo() < 0x1f) {
            out.write(first | t.tagNo());
        } else {
            out.write(first | 0x1f);
            int no = t.tagNo();
            int shift = 28;
            while (shift > 0 && (no >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                out.write(0x80 | ((no >>> shift) & 0x7f));
            }
            out.write(no & 0x7f);
        }
        if (t.length() < 0) {
            out.write(0x80);
        } else if (t.length() < 0x80) {
            out.write((int) t.length());
        } else {
            int n = t.length() > 0xffffff ? 4 : t.length() > 0xffff ? 3 : t.length() > 0xff ? 2 : 1;
            out.write(0x80 | n);
            for (int i = n - 1; i >= 0; i--) {
                out.write((int) (t.length() >>> (8 * i)) & 0xff);
            }
        }
    }

    private void stream(long length, CiphertextShape.RandomCheck check) throws IOException {
        byte[] buf = new byte[16384];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new java.io.EOFException("content truncated");
            }
            pos += n;
            left -= n;
            check.update(buf, n);
        }
    }

    private int next() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new java.io.EOFException("truncated");
        }
        pos++;
        return b;
    }
}
