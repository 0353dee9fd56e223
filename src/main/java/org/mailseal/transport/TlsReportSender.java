package org.mailseal.transport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.mailseal.dns.DnsResolver;
import org.mailseal.mailauth.dkim.BodyHash;
import org.mailseal.mailauth.dkim.Canonicalization;
import org.mailseal.mailauth.dkim.DkimSigner;
import org.mailseal.logging.LogSafe;
import org.mailseal.mime.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mails finished days' TLS reports (RFC 8460 §5.3): for each {@code <day>/<domain>.json} that
 * {@link TlsReports} wrote, the {@code mailto:} addresses of {@code _smtp._tls.<domain>}'s
 * {@code v=TLSRPTv1} record get a {@code multipart/report; report-type="tlsrpt"} message with the
 * report gzipped as {@code application/tlsrpt+gzip}, DKIM-signed where a key for the sender's domain is held.
 * A report sent (or refused for good) is marked {@code .sent}; a temporary failure is tried again at the
 * next run, for up to a week. To an {@code https:} address the gzipped report is POSTed as
 * {@code application/tlsrpt+gzip} (§5.3.1), over TLS verified for its host; a 2xx is sent, a 5xx or no
 * answer is tried again.
 */
public final class TlsReportSender {

    private static final Logger log = LoggerFactory.getLogger("tlsrpt");

    /** Delivers one message to one recipient; the reply's code decides (2xx sent, 4xx retry, 5xx give up). */
    public interface Mailer {
        int send(String from, String to, Path message) throws IOException;
    }

    /** POSTs a gzipped report to an https: rua; the HTTP status. */
    public interface Poster {
        int post(java.net.URI uri, byte[] gzipped) throws IOException;
    }

    /** The sender domain's DKIM keys. */
    public interface Keys {
        List<DkimSigner.SigningKey> forDomain(String domain) throws Exception;
    }

    private final TlsReports reports;
    private final DnsResolver dns;
    private final String submitter;
    private final String from;
    private final Keys keys;
    private final Mailer mailer;
    private final Poster poster;
    private final Clock clock;

    public TlsReportSender(TlsReports reports, DnsResolver dns, String submitter, String from, Keys keys, Mailer mailer, Poster poster, Clock clock) {
        this.reports = reports;
        this.dns = dns;
        this.submitter = submitter;
        this.from = from;
        this.keys = keys;
        this.mailer = mailer;
        this.poster = poster;
        this.clock = clock;
    }

    /** Sends every finished day's reports not sent yet; returns how many messages went out. */
    public int sendFinished() throws IOException {
        reports.flush();
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        int sent = 0;
        if (!Files.isDirectory(reports.dir())) {
            return 0;
        }
        try (DirectoryStream<Path> days = Files.newDirectoryStream(reports.dir())) {
            for (Path d : days) {
                LocalDate day;
                try {
                    day = LocalDate.parse(d.getFileName().toString());
                } catch (java.time.format.DateTimeParseException e) {
                    continue;
                }
                if (day.isBefore(today) && !day.isBefore(today.minusDays(7))) {
                    sent += sendDay(day);
                }
            }
        }
        return sent;
    }

    /** Sends the reports of {@code day} not sent yet (also today's so far, when asked explicitly). */
    public int sendDay(LocalDate day) throws IOException {
        reports.flush();
        Path d = reports.dir().resolve(day.toString());
        if (!Files.isDirectory(d)) {
            return 0;
        }
        int sent = 0;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "*.json")) {
            s.forEach(files::add);
        }
        for (Path f : files) {
            Path marker = f.resolveSibling(f.getFileName() + ".sent");
            if (Files.exists(marker)) {
                continue;
            }
            String domain = f.getFileName().toString().replaceFirst("\\.json$", "");
            DnsResolver.Answer<String> txt = dns.txt("_smtp._tls." + domain);
            if (txt.status() == DnsResolver.Status.TEMPERROR) {
                log.info("TLS report for {} ({}): TLS-RPT lookup failed ({}); next run", domain, day, txt.reason());
                continue;
            }
            List<String> rua = rua(txt.records());
            if (rua.isEmpty()) {
                log.info("TLS report for {} ({}): the domain asks for none", domain, day);
                Files.writeString(marker, "no rua\n");
                continue;
            }
            boolean retry = false;
            StringBuilder outcome = new StringBuilder();
            for (String uri : rua) {
                if (uri.regionMatches(true, 0, "https:", 0, 6)) {
                    int code;
                    try {
                        code = poster.post(java.net.URI.create(uri), gzip(Files.readAllBytes(f)));
                    } catch (IOException | IllegalArgumentException e) {
                        log.info("TLS report for {} ({}) to {}: not posted ({}); next run", domain, day, LogSafe.text(uri), LogSafe.text(String.valueOf(e.getMessage())));
                        retry = true;
                        continue;
                    }
                    log.info("TLS report for {} ({}) to {}: HTTP {}", domain, day, LogSafe.text(uri), code);
                    if (code / 100 == 5 || code == 429) {
                        retry = true;
                    } else {
                        outcome.append(uri).append(' ').append(code).append('\n');
                        sent += code / 100 == 2 ? 1 : 0;
                    }
                    continue;
                }
                if (!uri.regionMatches(true, 0, "mailto:", 0, 7)) {
                    log.info("TLS report for {} ({}): {} not used (neither mailto: nor https:)", domain, day, LogSafe.text(uri));
                    continue;
                }
                String to = java.net.URLDecoder.decode(uri.substring(7).split("\\?")[0].split("!")[0], StandardCharsets.UTF_8);
                Path msg = Files.createTempFile(d, "report-", ".eml");
                try {
                    write(msg, day, domain, to, Files.readAllBytes(f));
                    int code = mailer.send(from, to, msg);
                    log.info("TLS report for {} ({}) to <{}>: {}", domain, day, to, code);
                    if (code / 100 == 4) {
                        retry = true;
                    } else {
                        outcome.append(to).append(' ').append(code).append('\n');
                        sent += code / 100 == 2 ? 1 : 0;
                    }
                } finally {
                    Files.deleteIfExists(msg);
                }
            }
            if (!retry || day.isBefore(LocalDate.now(clock.withZone(ZoneOffset.UTC)).minusDays(6))) {
                Files.writeString(marker, outcome.toString());
            }
        }
        return sent;
    }

    /** RFC 8460 §3: {@code v=TLSRPTv1; rua=<uri>[,<uri>]} (exactly one such record). */
    static List<String> rua(List<String> records) {
        List<String> ours = records.stream().filter(r -> r.strip().startsWith("v=TLSRPTv1")).toList();
        if (ours.size() != 1) {
            return List.of();
        }
        for (String field : ours.get(0).split(";")) {
            String f = field.strip();
            if (f.startsWith("rua=")) {
                return java.util.Arrays.stream(f.substring(4).split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
            }
        }
        return List.of();
    }

    private static byte[] gzip(byte[] json) throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(json);
        }
        return gz.toByteArray();
    }

    private void write(Path out, LocalDate day, String domain, String to, byte[] json) throws IOException {
        byte[] gz = gzip(json);
        String boundary = "tlsrpt-" + Long.toHexString(clock.millis());
        long begin = day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        long end = begin + 86399;
        String reportId = day + "_" + domain + "@" + submitter;
        String body = "--" + boundary + "\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                + "This is an aggregate TLS report (RFC 8460) from " + submitter + " for " + domain + ", " + day + " (UTC).\r\n\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/tlsrpt+gzip\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment;\r\n filename=\"" + submitter + "!" + domain + "!" + begin + "!" + end + ".json.gz\"\r\n\r\n"
                + Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(gz) + "\r\n\r\n"
                + "--" + boundary + "--\r\n";
        List<String> head = List.of(
                "From: <" + from + ">",
                "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(clock.withZone(ZoneOffset.UTC))),
                "Subject: Report Domain: " + domain + " Submitter: " + submitter + " Report-ID: <" + reportId + ">",
                "To: <" + to + ">",
                "Message-ID: <" + reportId + "." + clock.millis() + "@" + submitter + ">",
                "TLS-Report-Domain: " + domain,
                "TLS-Report-Submitter: " + submitter,
                "MIME-Version: 1.0",
                "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n boundary=\"" + boundary + "\"");
        List<RawHeader.Field> fields = new ArrayList<>();
        for (String h : head) {
            fields.add(new RawHeader.Field(h.substring(0, h.indexOf(':')), (h + "\r\n").getBytes(StandardCharsets.UTF_8)));
        }
        byte[] bodyBytes = body.getBytes(StandardCharsets.US_ASCII);
        String fromDomain = from.substring(from.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        List<RawHeader.Field> signatures = new ArrayList<>();
        try {
            List<DkimSigner.SigningKey> ks = keys.forDomain(fromDomain);
            if (!ks.isEmpty()) {
                byte[] bodyHash = BodyHash.of(new ByteArrayInputStream(bodyBytes), Canonicalization.RELAXED);
                for (DkimSigner.SigningKey k : ks) {
                    signatures.add(DkimSigner.sign(fields, bodyHash, k, Instant.now(clock)));
                }
            }
        } catch (Exception e) {
            log.warn("TLS report for {}: not DKIM-signed: {}", domain, e.getMessage());
        }
        try (var o = Files.newOutputStream(out)) {
            for (RawHeader.Field s : signatures) {
                o.write(s.raw());
            }
            for (RawHeader.Field fl : fields) {
                o.write(fl.raw());
            }
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write(bodyBytes);
        }
    }

    /** How often the gateway runs {@link #sendFinished()}. */
    public static final Duration EVERY = Duration.ofHours(1);
}
