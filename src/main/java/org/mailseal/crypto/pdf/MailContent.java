package org.mailseal.crypto.pdf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.NameValuePair;
import org.apache.james.mime4j.stream.RawBody;
import org.apache.james.mime4j.stream.RawField;
import org.apache.james.mime4j.stream.RawFieldParser;
import org.apache.james.mime4j.stream.RecursionMode;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * Walks a message (RFC 5322 / MIME, RFC 2045–2049) once, streaming, and hands its readable content to a
 * {@link Sink}: the summary fields of the top-level header, then each body text and each attachment in
 * message order. A text/plain or text/html part that is not marked as an attachment and has no file name
 * is body text; every other leaf part is an attachment, passed decoded (base64, quoted-printable). An
 * attached message (message/rfc822) is one attachment, {@code .eml}, not opened.
 * HTML becomes plain text through jsoup's parser: nothing is fetched, no script runs, links are kept as
 * text.
 */
public final class MailContent {

    /** The summary shown at the top of the PDF, decoded (RFC 2047). */
    public record Summary(String from, String to, String cc, String date, String subject) {
    }

    /** Receives the content. */
    public interface Sink {
        void summary(Summary s) throws IOException;

        /** Body text, with line breaks as {@code \n}. */
        void text(String text) throws IOException;

        /** An attachment's decoded content; {@code name} is never empty. */
        void attachment(String name, String mimeType, InputStream content) throws IOException;
    }

    /** Longest text body read into memory (larger text parts are attached instead of laid out). */
    static final int MAX_TEXT = 4 << 20;

    private MailContent() {
    }

    public static void read(InputStream message, Sink sink) throws IOException {
        MimeConfig cfg = MimeConfig.custom().setMaxHeaderCount(1000).setMaxLineLen(-1).setMaxHeaderLen(256 * 1024)
                .setMaxContentLen(-1).build();
        MimeTokenStream ts = new MimeTokenStream(cfg);
        ts.setRecursionMode(RecursionMode.M_NO_RECURSE); // an attached message stays whole: it is embedded as .eml
        ts.parse(message);
        int depth = 0;
        int attachments = 0;
        String from = "", to = "", cc = "", date = "", subject = "";
        boolean summarySent = false;
        String disposition = null;
        String name = null;
        // Per open multipart: is it multipart/alternative, and has one of its alternatives been laid out?
        java.util.ArrayDeque<boolean[]> multiparts = new java.util.ArrayDeque<>();
        try {
            for (EntityState s = ts.getState(); s != EntityState.T_END_OF_STREAM; s = ts.next()) {
                switch (s) {
                    case T_START_HEADER -> {
                        disposition = null;
                        name = null;
                    }
                    case T_FIELD -> {
                        Field f = ts.getField();
                        String n = f.getName().toLowerCase(Locale.ROOT);
                        if (depth == 0 && !summarySent) {
                            String v = decode(f.getBody());
                            switch (n) {
                                case "from" -> from = v;
                                case "to" -> to = v;
                                case "cc" -> cc = v;
                                case "date" -> date = v;
                                case "subject" -> subject = v;
                                default -> {
                                }
                            }
                        }
                        if (n.equals("content-disposition")) {
                            RawBody b = RawFieldParser.DEFAULT.parseRawBody(new RawField(f.getName(), f.getBody()));
                            disposition = b.getValue().toLowerCase(Locale.ROOT);
                            String fn = param(b, "filename");
                            if (fn != null) {
                                name = fn;
                            }
                        } else if (n.equals("content-type") && name == null) {
                            name = param(RawFieldParser.DEFAULT.parseRawBody(new RawField(f.getName(), f.getBody())), "name");
                        }
                    }
                    case T_END_HEADER -> {
                        if (!summarySent) {
                            sink.summary(new Summary(from, to, cc, date, subject));
                            summarySent = true;
                        }
                        depth++;
                    }
                    case T_START_MULTIPART -> multiparts.push(new boolean[] {
                        ts.getBodyDescriptor().getMimeType().equalsIgnoreCase("multipart/alternative"), false});
                    case T_END_MULTIPART -> multiparts.poll();
                    case T_BODY -> {
                        String type = ts.getBodyDescriptor().getMimeType().toLowerCase(Locale.ROOT);
                        boolean isText = type.equals("text/plain") || type.equals("text/html");
                        boolean attached = "attachment".equals(disposition) || name != null;
                        boolean[] alternative = multiparts.peek() != null && multiparts.peek()[0] ? multiparts.peek() : null;
                        if (isText && !attached && alternative != null && alternative[1]) {
                            continue; // another form of the text already laid out (RFC 2046 §5.1.4)
                        }
                        if (isText && !attached && alternative != null) {
                            alternative[1] = true;
                        }
                        if (isText && !attached) {
                            InputStream body = ts.getDecodedInputStream();
                            byte[] head = body.readNBytes(MAX_TEXT);
                            int next = head.length == MAX_TEXT ? body.read() : -1;
                            if (next != -1) {
                                // Too long to lay out: the whole part goes in as an attachment instead, nothing dropped.
                                attachments++;
                                head = java.util.Arrays.copyOf(head, head.length + 1);
                                head[head.length - 1] = (byte) next;
                                sink.attachment("text-" + attachments + (type.equals("text/html") ? ".html" : ".txt"), type,
                                        new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head), body));
                            } else {
                                String text = new String(head, charset(ts.getBodyDescriptor().getCharset()));
                                sink.text(type.equals("text/html") ? htmlToText(text) : text.replace("\r\n", "\n"));
                            }
                        } else {
                            String n = name != null && !name.isBlank() ? safeName(name) : "part-" + (attachments + 1) + extension(type);
                            attachments++;
                            sink.attachment(n, type, ts.getDecodedInputStream());
                        }
                    }
                    case T_END_BODYPART, T_END_MESSAGE -> depth = Math.max(0, depth - 1);
                    default -> {
                    }
                }
            }
        } catch (MimeException e) {
            throw new IOException("malformed MIME: " + e.getMessage(), e);
        }
        if (!summarySent) {
            sink.summary(new Summary(from, to, cc, date, subject));
        }
    }

    private static String param(RawBody b, String name) {
        for (NameValuePair p : b.getParams()) {
            if (p.getName().equalsIgnoreCase(name)) {
                return decode(p.getValue());
            }
        }
        return null;
    }

    /** RFC 2047 encoded words decoded, folding removed. */
    static String decode(String raw) {
        if (raw == null) {
            return "";
        }
        String unfolded = raw.replaceAll("\r?\n[ \t]", " ").strip();
        return DecoderUtil.decodeEncodedWords(unfolded, DecodeMonitor.SILENT);
    }

    /** A file name without directories or control characters. */
    static String safeName(String n) {
        String base = n.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1);
        StringBuilder b = new StringBuilder();
        base.codePoints().filter(c -> c >= 0x20 && c != 0x7f).forEach(b::appendCodePoint);
        String s = b.toString().strip();
        return s.isEmpty() || s.equals(".") || s.equals("..") ? "attachment" : s;
    }

    private static String extension(String type) {
        return switch (type) {
            case "message/rfc822" -> ".eml";
            case "text/plain" -> ".txt";
            case "text/html" -> ".html";
            case "application/pdf" -> ".pdf";
            default -> ".bin";
        };
    }

    private static Charset charset(String charsetName) {
        Charset cs;
        try {
            cs = charsetName != null ? Charset.forName(charsetName) : StandardCharsets.US_ASCII;
        } catch (RuntimeException e) {
            cs = StandardCharsets.ISO_8859_1;
        }
        // 8-bit bytes in a part labelled (or defaulted to) US-ASCII still show as something
        return cs.equals(StandardCharsets.US_ASCII) ? StandardCharsets.ISO_8859_1 : cs;
    }

    private static final java.util.Set<String> BLOCKS = java.util.Set.of("p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article", "header", "footer", "dt", "dd");

    /** HTML to text: block elements break lines, links keep their target in brackets, script and style are dropped. */
    static String htmlToText(String html) {
        org.jsoup.nodes.Document doc = Jsoup.parse(html);
        doc.select("script, style, head, noscript, template, object, embed, iframe").remove();
        StringBuilder out = new StringBuilder();
        NodeTraversor.traverse(new NodeVisitor() {
            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    Element parent = t.parent();
                    boolean pre = parent != null && parent.closest("pre") != null;
                    out.append(pre ? t.getWholeText() : t.text());
                } else if (node instanceof Element e && BLOCKS.contains(e.normalName())) {
                    newline(out);
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e) {
                    if (e.normalName().equals("a") && e.hasAttr("href")) {
                        String href = e.attr("href").strip();
                        if (!href.isEmpty() && !href.equals(e.text().strip())) {
                            out.append(" [").append(href).append(']');
                        }
                    } else if (e.normalName().equals("img") && e.hasAttr("alt")) {
                        out.append('[').append(e.attr("alt")).append(']');
                    }
                    if (BLOCKS.contains(e.normalName())) {
                        newline(out);
                    }
                }
            }
        }, doc.body() != null ? doc.body() : doc);
        return out.toString().replaceAll("\n{3,}", "\n\n").strip();
    }

    private static void newline(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
    }

    /** Lines of text as laid out: tabs expanded, other control characters removed. */
    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        for (String l : text.split("\n", -1)) {
            StringBuilder b = new StringBuilder();
            l.codePoints().forEach(c -> {
                if (c == '\t') {
                    b.append("    ");
                } else if (c >= 0x20 && !(c >= 0x7f && c < 0xa0)) {
                    b.appendCodePoint(c);
                }
            });
            lines.add(b.toString());
        }
        return lines;
    }
}
