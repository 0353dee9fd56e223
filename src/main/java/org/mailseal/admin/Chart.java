package org.mailseal.admin;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import org.mailseal.metrics.GatewayMetrics;
import org.mailseal.metrics.MetricHistory;

/**
 * Draws the message counters over time as an inline SVG line chart, on the server: no script and no
 * external resource (the Content-Security-Policy allows neither), presentation attributes only (no inline
 * CSS). Only numbers and fixed labels go into it, so it is inserted unescaped.
 */
final class Chart {

    private record Series(String name, String colour, ToLongFunction<GatewayMetrics.Totals> value) {
    }

    private static final List<Series> SERIES = List.of(
            new Series("received", "#20304a", GatewayMetrics.Totals::received),
            new Series("relayed", "#2a7ab8", GatewayMetrics.Totals::relayed),
            new Series("encrypted", "#1f8a3b", GatewayMetrics.Totals::encrypted),
            new Series("deferred", "#c88a00", GatewayMetrics.Totals::deferred),
            new Series("rejected", "#b02020", GatewayMetrics.Totals::rejected));

    private static final int W = 720;
    private static final int H = 220;
    private static final int LEFT = 40;
    private static final int BOTTOM = 30;
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    private Chart() {
    }

    static String messages(List<MetricHistory.Point> points) {
        long max = 1;
        for (MetricHistory.Point p : points) {
            for (Series s : SERIES) {
                max = Math.max(max, s.value().applyAsLong(p.counts()));
            }
        }
        int plotW = W - LEFT - 10;
        int plotH = H - BOTTOM - 10;
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"messages-chart\" width=\"").append(W).append("\" height=\"").append(H + 24)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H + 24).append("\" role=\"img\" aria-label=\"Messages per minute\">");
        b.append("<rect x=\"0\" y=\"0\" width=\"").append(W).append("\" height=\"").append(H + 24).append("\" fill=\"#ffffff\"/>");
        int y0 = 10 + plotH;
        b.append(line(LEFT, 10, LEFT, y0)).append(line(LEFT, y0, LEFT + plotW, y0));
        b.append(text(4, 16, String.valueOf(max))).append(text(4, y0, "0"));
        if (!points.isEmpty()) {
            b.append(text(LEFT, y0 + 16, HM.format(points.get(0).at()) + " UTC"));
            b.append(text(LEFT + plotW - 70, y0 + 16, HM.format(points.get(points.size() - 1).at()) + " UTC"));
        }
        int n = points.size();
        for (Series s : SERIES) {
            long total = 0;
            StringBuilder pts = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (int i = 0; i < n; i++) {
                long v = s.value().applyAsLong(points.get(i).counts());
                total += v;
                double x = LEFT + (n == 1 ? plotW : (double) plotW * i / (n - 1));
                double y = y0 - (double) plotH * v / max;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                if (n <= 120) { // few points (a young node): each is marked, a single one would not show as a line
                    dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, s.colour()));
                }
            }
            b.append(dots);
            b.append("<polyline id=\"series-").append(s.name()).append("\" data-total=\"").append(total).append("\" fill=\"none\" stroke=\"")
                    .append(s.colour()).append("\" stroke-width=\"2\" points=\"").append(pts.toString().strip()).append("\"/>");
        }
        int x = LEFT;
        for (Series s : SERIES) {
            b.append("<rect x=\"").append(x).append("\" y=\"").append(H + 8).append("\" width=\"12\" height=\"12\" fill=\"").append(s.colour()).append("\"/>");
            b.append(text(x + 16, H + 19, s.name()));
            x += 110;
        }
        return b.append("</svg>").toString();
    }

    private static String line(int x1, int y1, int x2, int y2) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"#888888\" stroke-width=\"1\"/>";
    }

    private static String text(int x, int y, String t) {
        return "<text x=\"" + x + "\" y=\"" + y + "\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#333333\">" + t + "</text>";
    }
}
