package dev.spice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.bench.FunctionBench.FunctionResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * Writes a benchmark's results: results.json (every measurement and the summary), results.md (the
 * tables) and chart.svg.
 */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String machine;
    private final List<Mode> modes;
    private final int runs;
    private final List<FunctionResult> results;

    Report(String machine, List<Mode> modes, int runs, List<FunctionResult> results) {
        this.machine = machine;
        this.modes = modes;
        this.runs = runs;
        this.results = results;
    }

    void write(Path dir) {
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("results.json").toFile(), json());
            Files.writeString(dir.resolve("results.md"), markdown());
            SvgChart.write(dir.resolve("chart.svg"), "End-to-end latency with no instance running (warm: idle "
                    + "instance), medians of " + runs + " runs; " + machine, modes, results);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the results to " + dir, e);
        }
    }

    private List<Measurement> of(FunctionResult r, Mode mode) {
        return r.measurements().stream().filter(m -> m.mode() == mode).toList();
    }

    ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("created", Instant.now().toString()).put("machine", machine).put("runs", runs);
        ArrayNode modeNames = root.putArray("modes");
        modes.forEach(m -> modeNames.add(m.label()));
        ArrayNode functions = root.putArray("functions");
        for (FunctionResult r : results) {
            ObjectNode f = functions.addObject();
            f.put("name", r.name());
            f.put("image_bytes", r.info().snapshot() == null ? 0 : r.info().snapshot().imageBytes());
            f.put("capture_ms", r.info().snapshot() == null ? 0 : r.info().snapshot().captureTime().toMillis());
            f.put("criu_image_bytes", r.criuImageBytes());
            ObjectNode summary = f.putObject("summary");
            for (Mode mode : modes) {
                List<Measurement> ms = of(r, mode);
                ObjectNode s = summary.putObject(mode.label());
                s.put("median_ms", ms(Stats.median(ms, Measurement::latencyNanos)));
                s.put("p90_ms", ms(Stats.quantile(ms, Measurement::latencyNanos, 0.9)));
                s.put("restore_ms", ms(Stats.median(ms, Measurement::restoreNanos)));
                s.put("boot_ms", ms(Stats.median(ms, Measurement::bootNanos)));
                s.put("first_response_ms", ms(Stats.median(ms, Measurement::firstResponseNanos)));
                s.put("pss_bytes", Stats.median(ms, Measurement::pssBytes));
                s.put("disk_read_bytes", Stats.median(ms, Measurement::diskReadBytes));
                s.put("all_verified", ms.stream().allMatch(Measurement::verified));
                s.put("runs", ms.size());
            }
            ArrayNode all = f.putArray("measurements");
            for (Measurement m : r.measurements()) {
                all.addObject().put("mode", m.mode().label()).put("run", m.run()).put("path", m.path())
                        .put("latency_ms", ms(m.latencyNanos())).put("restore_ms", ms(m.restoreNanos()))
                        .put("validation_ms", ms(m.validationNanos()))
                        .put("process_creation_ms", ms(m.processCreationNanos()))
                        .put("address_space_ms", ms(m.addressSpaceNanos())).put("memory_ms", ms(m.memoryNanos()))
                        .put("state_ms", ms(m.stateNanos())).put("boot_ms", ms(m.bootNanos()))
                        .put("first_response_ms", ms(m.firstResponseNanos())).put("pss_bytes", m.pssBytes())
                        .put("disk_read_bytes", m.diskReadBytes()).put("verified", m.verified());
            }
        }
        return root;
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("Machine: ").append(machine).append(". ").append(runs)
                .append(" runs per mode, modes interleaved. Latency is from the request (no instance of the function "
                        + "for boot and spice modes) to the response, in milliseconds: median (p90).\n\n");
        md.append("| function |");
        modes.forEach(m -> md.append(' ').append(m.label()).append(" |"));
        md.append(" image | restore phases (spice-hot median: validation / process / memory / state) |\n|---|");
        modes.forEach(m -> md.append("---:|"));
        md.append("---:|---|\n");
        for (FunctionResult r : results) {
            md.append("| ").append(r.name()).append(" |");
            for (Mode mode : modes) {
                List<Measurement> ms = of(r, mode);
                md.append(String.format(Locale.ROOT, " %s (%s)%s |", fmt(Stats.median(ms, Measurement::latencyNanos)),
                        fmt(Stats.quantile(ms, Measurement::latencyNanos, 0.9)),
                        ms.stream().allMatch(Measurement::verified) ? "" : " UNVERIFIED"));
            }
            List<Measurement> hot = of(r, Mode.SPICE_HOT);
            md.append(String.format(Locale.ROOT, " %.1f MiB | %s / %s / %s / %s |%n",
                    r.info().snapshot() == null ? 0 : r.info().snapshot().imageBytes() / 1048576.0,
                    fmt(med(hot, Measurement::validationNanos)), fmt(med(hot, Measurement::processCreationNanos)),
                    fmt(med(hot, Measurement::memoryNanos)), fmt(med(hot, Measurement::stateNanos))));
        }
        md.append("\nMemory and disk (medians): PSS of the instance after its first invocation; bytes read from disk "
                + "during a cold start.\n\n| function |");
        modes.forEach(m -> md.append(' ').append(m.label()).append(" PSS |"));
        md.append(" spice-cold disk read |\n|---|");
        modes.forEach(m -> md.append("---:|"));
        md.append("---:|\n");
        for (FunctionResult r : results) {
            md.append("| ").append(r.name()).append(" |");
            for (Mode mode : modes) {
                md.append(String.format(Locale.ROOT, " %.1f MiB |", med(of(r, mode), Measurement::pssBytes) / 1048576.0));
            }
            md.append(String.format(Locale.ROOT, " %.1f MiB |%n",
                    med(of(r, Mode.SPICE_COLD), Measurement::diskReadBytes) / 1048576.0));
        }
        return md.toString();
    }

    private static long med(List<Measurement> ms, ToLongFunction<Measurement> f) {
        return Stats.median(ms, f);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    private static String fmt(long nanos) {
        double ms = nanos / 1e6;
        return ms >= 100 ? String.format(Locale.ROOT, "%.0f", ms)
                : ms >= 10 ? String.format(Locale.ROOT, "%.1f", ms) : String.format(Locale.ROOT, "%.2f", ms);
    }
}
