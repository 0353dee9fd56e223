package org.mailseal.postfix;

import java.util.ArrayList;
import java.util.List;
import org.mailseal.config.HostPort;
import org.mailseal.config.MailsealConfig;
import org.mailseal.config.NextHop;

/**
 * The main.cf and master.cf lines that put mailseal behind Postfix as an after-queue content filter
 * (Postfix FILTER_README): Postfix hands mail to mailseal's SMTP (or LMTP) listener, and mailseal
 * reinjects it into a Postfix smtpd that does no filtering, at mailseal's default route.
 */
public final class PostfixConfig {

    private PostfixConfig() {
    }

    /** The text for the admin, commented. {@code lmtp}: hand over with LMTP for per-recipient replies. */
    public static String render(MailsealConfig c, boolean lmtp) {
        HostPort listen = lmtp ? c.lmtp().listen() : c.smtp().listen();
        NextHop reinject = NextHop.parse(c.relay().defaultRoute());
        // Postfix syntax: IPv6 networks in brackets; commas, since an -o value cannot hold spaces.
        String networks = String.join(",", c.networks().xforward().stream().map(n -> {
            String t = n.toString();
            int slash = t.indexOf('/');
            return t.contains(":") ? "[" + (slash < 0 ? t : t.substring(0, slash)) + "]" + (slash < 0 ? "" : t.substring(slash)) : t;
        }).toList());
        List<String> out = new ArrayList<>();
        out.add("# ---- main.cf ----");
        out.add("# Hand every message received from outside to mailseal after queueing.");
        out.add("content_filter = mailseal:[" + listen.host() + "]:" + listen.port());
        out.add("# Expand aliases and virtual maps once, before the filter, not again at reinjection.");
        out.add("receive_override_options = no_address_mappings");
        if (!lmtp) {
            out.add("# One recipient per delivery, so each recipient gets its own result (LMTP answers per recipient).");
            out.add("mailseal_destination_recipient_limit = 1");
        }
        out.add("");
        out.add("# ---- master.cf ----");
        out.add("# The transport to mailseal: XFORWARD tells mailseal the original client and Postfix queue id;");
        out.add("# no MIME down-conversion, so signatures survive; 600 s for mailseal's proxy-mode answer.");
        out.add("mailseal  unix  -       -       n       -       10      " + (lmtp ? "lmtp" : "smtp"));
        String p = lmtp ? "lmtp" : "smtp";
        out.add("    -o " + p + "_send_xforward_command=yes");
        out.add("    -o disable_mime_output_conversion=yes");
        out.add("    -o " + p + "_data_done_timeout=600s");
        out.add("    -o " + p + "_tls_security_level=none");
        out.add("# The reinjection listener mailseal relays to: no content filter, no milters (or mail loops),");
        out.add("# no second round of checks, XFORWARD believed from mailseal, and room for the ciphertext, which");
        out.add("# is about 40 % larger than the plaintext (a 552 here would bounce the plaintext back to the sender).");
        out.add("[" + reinject.host() + "]:" + reinject.port() + " inet  n  -  n  -  -  smtpd");
        out.add("    -o content_filter=");
        out.add("    -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters");
        out.add("    -o smtpd_helo_restrictions=");
        out.add("    -o smtpd_client_restrictions=");
        out.add("    -o smtpd_sender_restrictions=");
        out.add("    -o smtpd_relay_restrictions=permit_mynetworks,reject");
        out.add("    -o smtpd_recipient_restrictions=permit_mynetworks,reject");
        out.add("    -o mynetworks=" + networks);
        out.add("    -o smtpd_authorized_xforward_hosts=" + networks);
        long limit = Math.max(c.limits().maxMessageSize() * 3 / 2, 15L * 1024 * 1024);
        out.add("    -o message_size_limit=" + limit);
        out.add("    -o cleanup_service_name=mailseal-cleanup");
        out.add("# cleanup enforces the size limit, so reinjected mail gets a cleanup of its own with the headroom.");
        out.add("mailseal-cleanup unix  n  -  n  -  0  cleanup");
        out.add("    -o message_size_limit=" + limit);
        String text = String.join("\n", out) + "\n";
        return text.replace("[" + reinject.host() + "]:" + reinject.port() + " inet", reinject.host() + ":" + reinject.port() + " inet");
    }
}
