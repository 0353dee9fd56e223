package org.mailseal.mailauth.dmarc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The Organizational Domain (RFC 7489 §3.2) from the Public Suffix List: Debian's copy
 * ({@code /usr/share/publicsuffix}, package {@code publicsuffix}) when present, else the copy in the jar
 * (MPL 2.0, see its header). The public suffix is the longest matching rule, an exception rule winning
 * ({@code !}), {@code *} the default; the organizational domain is that suffix and one more label.
 */
public final class OrgDomain {

    public static final Path DEBIAN = Path.of("/usr/share/publicsuffix/public_suffix_list.dat");

    private final Set<String> rules = new HashSet<>();
    private final Set<String> exceptions = new HashSet<>();

    private OrgDomain(BufferedReader in) throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("//")) {
                continue;
            }
            l = l.split("\\s", 2)[0].toLowerCase(Locale.ROOT);
            if (l.startsWith("!")) {
                exceptions.add(java.net.IDN.toASCII(l.substring(1), java.net.IDN.ALLOW_UNASSIGNED));
            } else {
                rules.add(l.startsWith("*.") ? "*." + java.net.IDN.toASCII(l.substring(2), java.net.IDN.ALLOW_UNASSIGNED)
                        : java.net.IDN.toASCII(l, java.net.IDN.ALLOW_UNASSIGNED));
            }
        }
    }

    /** The list at {@code file}, or (null) Debian's, else the one in the jar. */
    public static OrgDomain load(Path file) throws IOException {
        Path f = file != null ? file : Files.isReadable(DEBIAN) ? DEBIAN : null;
        if (f != null) {
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                return new OrgDomain(r);
            }
        }
        try (InputStream in = OrgDomain.class.getResourceAsStream("/publicsuffix/public_suffix_list.dat")) {
            if (in == null) {
                throw new IOException("no Public Suffix List in the jar");
            }
            return new OrgDomain(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        }
    }

    /** The organizational domain of {@code domain} (lower case, A-labels); the domain itself if it is a public suffix. */
    public String of(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        String[] labels = d.split("\\.");
        int suffixLabels = 1; // the default rule "*"
        for (int i = 0; i < labels.length; i++) {
            String candidate = String.join(".", java.util.Arrays.copyOfRange(labels, i, labels.length));
            int n = labels.length - i;
            if (exceptions.contains(candidate)) {
                suffixLabels = n - 1;
                break;
            }
            if (rules.contains(candidate) && n > suffixLabels) {
                suffixLabels = n;
            }
            if (i + 1 < labels.length) {
                String wild = "*." + String.join(".", java.util.Arrays.copyOfRange(labels, i + 1, labels.length));
                if (rules.contains(wild) && n > suffixLabels) {
                    suffixLabels = n;
                }
            }
        }
        if (suffixLabels >= labels.length) {
            return d;
        }
        return String.join(".", java.util.Arrays.copyOfRange(labels, labels.length - suffixLabels - 1, labels.length));
    }
}
