package dev.spice.bench;

import dev.spice.bench.FunctionBench.FunctionResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The chart of a benchmark run, in the style of the Spice paper's Figure 10: for every function
 * a group of bars, one per mode, on a logarithmic axis; each bar stacks the median start-up time
 * (restore or boot, dark) under the rest of the end-to-end latency up to the response (light).
 */
final class SvgChart {
    private static final String[] COLORS = {"#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"};
    private static final int BAR = 14, GAP = 26, LEFT = 70, TOP = 40, HEIGHT = 300, BOTTOM = 90;
    private static final double MIN_MS = 0.1, MAX_MS = 10_000;

    private SvgChart() {}

    static void write(Path file, String title, List<Mode> modes, List<FunctionResult> results) {
        int groupWidth = modes.size() * BAR + GAP;
        int width = LEFT + results.size() * groupWidth + 20 + 150;
        int height = TOP + HEIGHT + BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", width, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"13\">%s</text>%n", LEFT, escape(title)));
        axis(svg, results.size() * groupWidth);
        for (int f = 0; f < results.size(); f++) {
            FunctionResult r = results.get(f);
            int x0 = LEFT + f * groupWidth + GAP / 2;
            for (int m = 0; m < modes.size(); m++) {
                Mode mode = modes.get(m);
                List<Measurement> ms = r.measurements().stream().filter(x -> x.mode() == mode).toList();
                if (ms.isEmpty()) {
                    continue;
                }
                double total = Stats.median(ms, Measurement::latencyNanos) / 1e6;
                double startup = Math.min(total, Stats.median(ms, x -> x.restoreNanos() + x.bootNanos()) / 1e6);
                int x = x0 + m * BAR;
                bar(svg, x, MIN_MS, Math.max(startup, MIN_MS), COLORS[m % COLORS.length], 1.0,
                        modes.get(m).label() + " start-up " + fmt(startup) + " ms");
                bar(svg, x, Math.max(startup, MIN_MS), total, COLORS[m % COLORS.length], 0.45,
                        modes.get(m).label() + " total " + fmt(total) + " ms");
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                    + "transform=\"rotate(-35 %d %d)\">%s</text>%n", x0 + modes.size() * BAR / 2 + 4, TOP + HEIGHT + 14,
                    x0 + modes.size() * BAR / 2 + 4, TOP + HEIGHT + 14, escape(r.name())));
        }
        legend(svg, LEFT + results.size() * groupWidth + 20, modes);
        svg.append("</svg>\n");
        try {
            Files.writeString(file, svg.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void axis(StringBuilder svg, int plotWidth) {
        for (double ms = MIN_MS; ms <= MAX_MS * 1.001; ms *= 10) {
            int y = y(ms);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotWidth, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 6,
                    y + 4, fmt(ms)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" "
                + "text-anchor=\"middle\">latency (ms, log scale)</text>%n", TOP + HEIGHT / 2, TOP + HEIGHT / 2));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP, LEFT, TOP + HEIGHT));
    }

    private static void bar(StringBuilder svg, int x, double fromMs, double toMs, String color, double opacity,
            String tooltip) {
        if (toMs <= fromMs) {
            return;
        }
        int top = y(toMs);
        int bottom = y(fromMs);
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                + "fill-opacity=\"%.2f\"><title>%s</title></rect>%n", x, top, BAR - 2, Math.max(1, bottom - top), color,
                opacity, escape(tooltip)));
    }

    private static void legend(StringBuilder svg, int x, List<Mode> modes) {
        int y = TOP;
        for (int m = 0; m < modes.size(); m++) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, y, COLORS[m % COLORS.length], x + 18, y + 10,
                    modes.get(m).label()));
            y += 18;
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">dark: restore or boot</text>%n", x, y + 12));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">light: up to the response</text>%n", x, y + 28));
    }

    private static int y(double ms) {
        double clamped = Math.max(MIN_MS, Math.min(MAX_MS, ms));
        double f = (Math.log10(clamped) - Math.log10(MIN_MS)) / (Math.log10(MAX_MS) - Math.log10(MIN_MS));
        return (int) Math.round(TOP + HEIGHT - f * HEIGHT);
    }

    private static String fmt(double ms) {
        return ms >= 10 ? String.format(Locale.ROOT, "%.0f", ms) : ms >= 1 ? String.format(Locale.ROOT, "%.1f", ms)
                : String.format(Locale.ROOT, "%.2f", ms);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
