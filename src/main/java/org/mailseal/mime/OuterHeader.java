package org.mailseal.mime;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the provider may see of an encrypted message's header: an allowlist. By default only what
 * delivery and threading need ({@link #MINIMAL}: trace fields, Date, From, Sender, To, Cc, Message-ID,
 * In-Reply-To, References, List-*, and the authentication results and signatures the next hops read),
 * the Subject replaced by {@code subjectPlaceholder}, and {@code X-Spam-Flag} so the mailbox can file
 * spam. Everything else ({@code Thread-Topic}, {@code Thread-Index}, {@code X-*} from the sender, ...)
 * is inside the encryption only. A domain may keep more fields outside ({@code outerHeaders}).
 */
public record OuterHeader(String subjectPlaceholder, Set<String> extra, String subjectTag) {

    /** Fields kept outside by default (lower case); plus every {@code list-*} and {@code arc-*} field. */
    public static final Set<String> MINIMAL = Set.of("received", "return-path", "date", "from", "sender", "to", "cc", "message-id",
            "in-reply-to", "references", "authentication-results", "dkim-signature", "x-spam-flag", "subject");

    public OuterHeader(String subjectPlaceholder, Set<String> extra) {
        this(subjectPlaceholder, extra, null);
    }

    /** The same, with a spam tag ({@code [SPAM]}) in front of the outer placeholder; null: none. */
    public OuterHeader withSubjectTag(String tag) {
        return new OuterHeader(subjectPlaceholder, extra, tag);
    }

    public OuterHeader {
        TreeSet<String> lower = new TreeSet<>();
        extra.forEach(e -> lower.add(e.toLowerCase(Locale.ROOT)));
        extra = Set.copyOf(lower);
    }

    public static OuterHeader minimal(String subjectPlaceholder) {
        return new OuterHeader(subjectPlaceholder, Set.of());
    }

    /** From the policy values: {@code outerHeaders} is {@code minimal} or a comma-separated list of extra field names. */
    public static OuterHeader of(String subjectPlaceholder, String outerHeaders) {
        if (outerHeaders == null || outerHeaders.equals("minimal")) {
            return minimal(subjectPlaceholder);
        }
        return new OuterHeader(subjectPlaceholder, Set.copyOf(Arrays.stream(outerHeaders.split(",")).map(String::trim).toList()));
    }

    /** True if a field of this (lower-case) name stays outside. */
    public boolean keeps(String lowerName) {
        return MINIMAL.contains(lowerName) || lowerName.startsWith("list-") || lowerName.startsWith("arc-") || extra.contains(lowerName);
    }

    /** Groups recipients that can share one encrypted copy. */
    public String key() {
        return subjectPlaceholder + "|" + String.join(",", new TreeSet<>(extra));
    }
}
