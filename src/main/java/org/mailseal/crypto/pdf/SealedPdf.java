package org.mailseal.crypto.pdf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.PDEmbeddedFilesNameTreeNode;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType0Font;

/**
 * A message as a password-protected PDF: the summary fields (From, To, Cc, Date, Subject), the body
 * text, and every attachment embedded as a file with its name and type (and, optionally, the original
 * message as {@code message.eml}). Encrypted with AES-256 (PDF 2.0 security handler revision 6, ISO
 * 32000-2 §7.6.4); opening needs the password, printing and copying are allowed. The owner password is
 * random and never kept, so the permissions cannot be lifted with the recipient's password.
 *
 * <p>Text is set in DejaVu Sans, shipped in the jar (Latin, Greek, Cyrillic and more). A character the
 * font has no glyph for (CJK, for example) is printed as U+FFFD; the body text is then still whole in
 * the attached original when {@code attachOriginal} is on.
 */
public final class SealedPdf {

    /** Opens the message again (the original is read a second time when it is attached). */
    public interface Source {
        InputStream open() throws IOException;
    }

    static final float MARGIN = 50;
    static final float SIZE = 10;
    static final float LEADING = 13;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SealedPdf() {
    }

    /** Writes the PDF of {@code message} to {@code out}, encrypted to {@code password}. */
    public static void write(Source message, OutputStream out, char[] password, boolean attachOriginal) throws IOException {
        write(message, out, password, attachOriginal, null);
    }

    /** As {@link #write(Source, OutputStream, char[], boolean)}, with a "Reply securely" link to {@code replyUrl} (null: none). */
    public static void write(Source message, OutputStream out, char[] password, boolean attachOriginal, String replyUrl) throws IOException {
        if (password.length == 0) {
            throw new IllegalArgumentException("a PDF password must not be empty");
        }
        // Embedded files and pages go to a temporary file, not the heap: attachments can be large.
        try (PDDocument doc = new PDDocument(IOUtils.createTempFileOnlyStreamCache())) {
            Layout layout = new Layout(doc);
            Map<String, PDComplexFileSpecification> files = new java.util.LinkedHashMap<>();
            try (InputStream in = message.open()) {
                MailContent.read(in, new MailContent.Sink() {
                    @Override
                    public void summary(MailContent.Summary s) throws IOException {
                        layout.field("From", s.from());
                        layout.field("To", s.to());
                        if (!s.cc().isEmpty()) {
                            layout.field("Cc", s.cc());
                        }
                        layout.field("Date", s.date());
                        layout.field("Subject", s.subject());
                        if (replyUrl != null) {
                            layout.link("Reply securely (once, in your browser)", replyUrl);
                        }
                        layout.rule();
                    }

                    @Override
                    public void text(String text) throws IOException {
                        layout.text(text);
                    }

                    @Override
                    public void attachment(String name, String mimeType, InputStream content) throws IOException {
                        String unique = unique(files, name);
                        files.put(unique, embed(doc, unique, mimeType, content));
                    }
                });
            }
            if (attachOriginal) {
                try (InputStream in = message.open()) {
                    String unique = unique(files, "message.eml");
                    files.put(unique, embed(doc, unique, "message/rfc822", in));
                }
            }
            if (!files.isEmpty()) {
                layout.rule();
                layout.field("Attachments", String.join(", ", files.keySet()));
                PDEmbeddedFilesNameTreeNode tree = new PDEmbeddedFilesNameTreeNode();
                tree.setNames(files);
                PDDocumentNameDictionary names = new PDDocumentNameDictionary(doc.getDocumentCatalog());
                names.setEmbeddedFiles(tree);
                doc.getDocumentCatalog().setNames(names);
            }
            layout.close();
            AccessPermission may = new AccessPermission();
            may.setCanPrint(true);
            may.setCanPrintFaithful(true);
            may.setCanExtractContent(true);
            may.setCanExtractForAccessibility(true);
            may.setCanModify(false);
            may.setCanModifyAnnotations(false);
            may.setCanFillInForm(false);
            may.setCanAssembleDocument(false);
            StandardProtectionPolicy policy = new StandardProtectionPolicy(ownerPassword(), new String(password), may);
            policy.setEncryptionKeyLength(256);
            policy.setPreferAES(true);
            doc.protect(policy);
            // The same handler, but streams are encrypted without being read into the heap (attachments can be large).
            @SuppressWarnings({"unchecked", "rawtypes"})
            org.apache.pdfbox.pdmodel.encryption.SecurityHandler<org.apache.pdfbox.pdmodel.encryption.ProtectionPolicy> streaming =
                    (org.apache.pdfbox.pdmodel.encryption.SecurityHandler) new StreamingAes256Handler(policy);
            doc.getEncryption().setSecurityHandler(streaming);
            doc.save(out);
        }
    }

    private static String unique(Map<String, ?> files, String name) {
        if (!files.containsKey(name)) {
            return name;
        }
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        for (int i = 2; ; i++) {
            String n = stem + " (" + i + ")" + ext;
            if (!files.containsKey(n)) {
                return n;
            }
        }
    }

    private static PDComplexFileSpecification embed(PDDocument doc, String name, String mimeType, InputStream content) throws IOException {
        PDEmbeddedFile ef = new PDEmbeddedFile(doc, content);
        ef.setSubtype(mimeType);
        ef.setSize(ef.getCOSObject().getLength() > 0 ? (int) Math.min(Integer.MAX_VALUE, ef.getCOSObject().getLength()) : 0);
        PDComplexFileSpecification fs = new PDComplexFileSpecification();
        fs.setFile(name);
        fs.setFileUnicode(name);
        fs.setEmbeddedFile(ef);
        fs.setEmbeddedFileUnicode(ef);
        return fs;
    }

    private static String ownerPassword() {
        final String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** Pages of text, A4, set line by line. */
    private static final class Layout {
        private final PDDocument doc;
        private final PDType0Font regular;
        private final PDType0Font bold;
        private final TrueTypeFont regularTtf;
        private final TrueTypeFont boldTtf;
        private final Map<Integer, Float> widths = new HashMap<>();
        private final float width = PDRectangle.A4.getWidth() - 2 * MARGIN;
        private PDPageContentStream page;
        private float y;

        Layout(PDDocument doc) throws IOException {
            this.doc = doc;
            regularTtf = ttf("/fonts/DejaVuSans.ttf");
            boldTtf = ttf("/fonts/DejaVuSans-Bold.ttf");
            regular = PDType0Font.load(doc, regularTtf, true);
            bold = PDType0Font.load(doc, boldTtf, true);
        }

        private static TrueTypeFont ttf(String resource) throws IOException {
            try (InputStream in = SealedPdf.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException("font missing from the jar: " + resource);
                }
                TrueTypeFont ttf = new TTFParser().parse(new RandomAccessReadBuffer(in));
                // No ligatures: "fi" stays two characters, so copied and searched text is what the mail said.
                ttf.setEnableGsub(false);
                return ttf;
            }
        }

        void field(String label, String value) throws IOException {
            String prefix = label + ": ";
            float indent = textWidth(bold, boldTtf, prefix);
            List<String> lines = wrap(printable(regularTtf, value.replaceAll("\\s+", " ")), width - indent);
            for (int i = 0; i < lines.size(); i++) {
                line();
                page.beginText();
                page.newLineAtOffset(MARGIN, y);
                if (i == 0) {
                    page.setFont(bold, SIZE);
                    page.showText(printable(boldTtf, prefix));
                } else {
                    page.newLineAtOffset(indent, 0);
                }
                page.setFont(regular, SIZE);
                page.showText(lines.get(i));
                page.endText();
            }
        }

        /** A label and a URL under it, the URL a link (ISO 32000-1 §12.5.6.5, a URI action, §12.6.4.7). */
        void link(String label, String url) throws IOException {
            field(label, "");
            List<String> lines = wrap(printable(regularTtf, url), width);
            float top = y;
            for (String l : lines) {
                line();
                page.beginText();
                page.setFont(regular, SIZE);
                page.setNonStrokingColor(0f, 0f, 0.8f);
                page.newLineAtOffset(MARGIN, y);
                page.showText(l);
                page.endText();
                page.setNonStrokingColor(0f, 0f, 0f);
            }
            org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink a = new org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink();
            a.setRectangle(new PDRectangle(MARGIN, y - 3, width, top - y + 3));
            org.apache.pdfbox.pdmodel.interactive.action.PDActionURI uri = new org.apache.pdfbox.pdmodel.interactive.action.PDActionURI();
            uri.setURI(url);
            a.setAction(uri);
            org.apache.pdfbox.pdmodel.interactive.annotation.PDBorderStyleDictionary none = new org.apache.pdfbox.pdmodel.interactive.annotation.PDBorderStyleDictionary();
            none.setWidth(0);
            a.setBorderStyle(none);
            doc.getPage(doc.getNumberOfPages() - 1).getAnnotations().add(a);
        }

        void rule() throws IOException {
            line();
            page.moveTo(MARGIN, y + LEADING / 2);
            page.lineTo(MARGIN + width, y + LEADING / 2);
            page.stroke();
        }

        void text(String text) throws IOException {
            for (String raw : MailContent.lines(text)) {
                for (String l : wrap(printable(regularTtf, raw), width)) {
                    line();
                    if (!l.isEmpty()) {
                        page.beginText();
                        page.setFont(regular, SIZE);
                        page.newLineAtOffset(MARGIN, y);
                        page.showText(l);
                        page.endText();
                    }
                }
            }
            line();
        }

        /** Moves to the next line, on a new page when this one is full. */
        private void line() throws IOException {
            if (page == null || y - LEADING < MARGIN) {
                if (page != null) {
                    page.close();
                }
                PDPage p = new PDPage(PDRectangle.A4);
                doc.addPage(p);
                page = new PDPageContentStream(doc, p);
                page.setLineWidth(0.5f);
                y = PDRectangle.A4.getHeight() - MARGIN;
            }
            y -= LEADING;
        }

        void close() throws IOException {
            if (page == null) {
                line();
            }
            page.close();
        }

        /** The text with every character the font lacks replaced by U+FFFD (or '?', should that be missing too). */
        private static String printable(TrueTypeFont ttf, String s) throws IOException {
            var cmap = ttf.getUnicodeCmapLookup();
            String replacement = cmap.getGlyphId(0xFFFD) > 0 ? "\uFFFD" : "?";
            StringBuilder b = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                i += Character.charCount(c);
                if (c == ' ' || cmap.getGlyphId(c) > 0) {
                    b.appendCodePoint(c);
                } else {
                    b.append(replacement);
                }
            }
            return b.toString();
        }

        private float charWidth(int c) throws IOException {
            Float w = widths.get(c);
            if (w == null) {
                w = regular.getStringWidth(new String(Character.toChars(c))) / 1000 * SIZE;
                widths.put(c, w);
            }
            return w;
        }

        private static float textWidth(PDType0Font font, TrueTypeFont ttf, String s) throws IOException {
            return font.getStringWidth(printable(ttf, s)) / 1000 * SIZE;
        }

        /** Breaks a line at spaces (or anywhere, for a word wider than the line) to fit {@code max}. */
        private List<String> wrap(String s, float max) throws IOException {
            List<String> out = new ArrayList<>();
            int start = 0;
            int lastSpace = -1;
            float w = 0;
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                int n = Character.charCount(c);
                float cw = charWidth(c);
                if (w + cw > max && i > start) {
                    int cut = lastSpace > start ? lastSpace : i;
                    out.add(s.substring(start, cut));
                    start = cut < s.length() && s.charAt(cut) == ' ' ? cut + 1 : cut;
                    lastSpace = -1;
                    w = 0;
                    i = start;
                    continue;
                }
                if (c == ' ') {
                    lastSpace = i;
                }
                w += cw;
                i += n;
            }
            out.add(s.substring(start));
            return out;
        }
    }
}
