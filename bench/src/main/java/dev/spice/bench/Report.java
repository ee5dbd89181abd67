package dev.spice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.bench.AblationBench.StepResult;
import dev.spice.bench.FunctionBench.FunctionResult;
import dev.spice.bench.MemoryBench.MemoryResult;
import dev.spice.image.ImageFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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
    private final double diskBytesPerSecond;
    private final List<MemoryResult> memory;
    private final List<StepResult> ablation;

    /**
     * diskBytesPerSecond is the disk's sequential read rate measured in the same run (0 if not
     * measured); memory and ablation may be empty.
     */
    Report(String machine, List<Mode> modes, int runs, List<FunctionResult> results, double diskBytesPerSecond,
            List<MemoryResult> memory, List<StepResult> ablation) {
        this.machine = machine;
        this.modes = modes;
        this.runs = runs;
        this.results = results;
        this.diskBytesPerSecond = diskBytesPerSecond;
        this.memory = memory;
        this.ablation = ablation;
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
        root.put("created", Instant.now().toString()).put("machine", machine).put("runs", runs)
                .put("disk_read_mb_per_s", Math.round(diskBytesPerSecond / 1e6));
        ArrayNode modeNames = root.putArray("modes");
        modes.forEach(m -> modeNames.add(m.label()));
        ArrayNode functions = root.putArray("functions");
        for (FunctionResult r : results) {
            ObjectNode f = functions.addObject();
            f.put("name", r.name());
            f.put("image_bytes", r.info().snapshot() == null ? 0 : r.info().snapshot().imageBytes());
            f.put("capture_ms", r.info().snapshot() == null ? 0 : r.info().snapshot().captureTime().toMillis());
            f.put("criu_image_bytes", r.criuImageBytes());
            f.put("working_set_pages", workingSetPages(r));
            f.put("working_set_written_pages", r.info().snapshot() == null ? 0
                    : r.info().snapshot().workingSetWrittenPages());
            f.put("floor_ms", ms(floorNanos(r)));
            if (r.vm() != null) {
                f.putObject("vm").put("accelerator", Accelerator.detect().note).put("skipped", r.vm().skipped())
                        .put("image_bytes", r.vm().imageBytes()).put("working_set_pages", r.vm().workingSetPages())
                        .put("qemu_cold_start_ms", ms(r.vm().qemuColdStartNanos()));
            }
            ObjectNode summary = f.putObject("summary");
            summarize(summary, r.measurements(), modes);
            ArrayNode all = f.putArray("measurements");
            for (Measurement m : r.measurements()) {
                all.addObject().put("mode", m.mode().label()).put("run", m.run()).put("path", m.path())
                        .put("latency_ms", ms(m.latencyNanos())).put("restore_ms", ms(m.restoreNanos()))
                        .put("validation_ms", ms(m.validationNanos()))
                        .put("process_creation_ms", ms(m.processCreationNanos()))
                        .put("address_space_ms", ms(m.addressSpaceNanos())).put("memory_ms", ms(m.memoryNanos()))
                        .put("state_ms", ms(m.stateNanos())).put("boot_ms", ms(m.bootNanos()))
                        .put("first_response_ms", ms(m.firstResponseNanos())).put("pss_bytes", m.pssBytes())
                        .put("disk_read_bytes", m.diskReadBytes()).put("minor_faults", m.minorFaults())
                        .put("major_faults", m.majorFaults()).put("verified", m.verified());
            }
        }
        ArrayNode mem = root.putArray("memory");
        for (MemoryResult m : memory) {
            mem.addObject().put("function", m.function()).put("path", m.path()).put("instances", m.instances())
                    .put("pss_bytes_per_instance", m.medianPss()).put("pss_bytes_total", m.totalPss())
                    .put("rss_bytes_per_instance", m.medianRss()).put("private_bytes_per_instance", m.medianPrivate())
                    .put("verified", m.verified());
        }
        ArrayNode steps = root.putArray("ablation");
        for (StepResult a : ablation) {
            ObjectNode step = steps.addObject().put("function", a.result().name()).put("step", a.step().label);
            summarize(step.putObject("summary"), a.result().measurements(), AblationBench.MODES);
        }
        return root;
    }

    private static void summarize(ObjectNode summary, List<Measurement> measurements, List<Mode> modes) {
        for (Mode mode : modes) {
            List<Measurement> ms = measurements.stream().filter(m -> m.mode() == mode).toList();
            ObjectNode s = summary.putObject(mode.label());
            s.put("median_ms", ms(Stats.median(ms, Measurement::latencyNanos)));
            s.put("p90_ms", ms(Stats.quantile(ms, Measurement::latencyNanos, 0.9)));
            s.put("restore_ms", ms(Stats.median(ms, Measurement::restoreNanos)));
            s.put("boot_ms", ms(Stats.median(ms, Measurement::bootNanos)));
            s.put("first_response_ms", ms(Stats.median(ms, Measurement::firstResponseNanos)));
            s.put("pss_bytes", Stats.median(ms, Measurement::pssBytes));
            s.put("disk_read_bytes", Stats.median(ms, Measurement::diskReadBytes));
            s.put("minor_faults", Stats.median(ms, Measurement::minorFaults));
            s.put("major_faults", Stats.median(ms, Measurement::majorFaults));
            s.put("all_verified", ms.stream().allMatch(Measurement::verified));
            s.put("runs", ms.size());
        }
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("Machine: ").append(machine).append(". ").append(runs)
                .append(" runs per mode, modes interleaved. Latency is from the request (no instance of the function "
                        + "for boot and spice modes) to the response, in milliseconds: median (p90).\n\n");
        md.append("| function |");
        modes.forEach(m -> md.append(' ').append(m.header()).append(" |"));
        md.append(" image | restore phases (spice-hot median: validation / process / memory / state) |\n|---|");
        modes.forEach(m -> md.append("---:|"));
        md.append("---:|---|\n");
        for (FunctionResult r : results) {
            md.append("| ").append(r.name()).append(" |");
            for (Mode mode : modes) {
                List<Measurement> ms = of(r, mode);
                if (ms.isEmpty()) {
                    md.append(" skipped |");
                    continue;
                }
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
        appendTargets(md);
        appendGoals(md);
        appendVm(md);
        appendMemory(md);
        appendAblation(md);
        return md.toString();
    }

    /** The targets side by side with what this run measured. */
    private void appendTargets(StringBuilder md) {
        md.append(String.format(Locale.ROOT, "%nFirst invocation and the floor (medians). The floor is warm + the "
                + "working set's bytes read sequentially from this disk at %.0f MB/s (measured in this run, page "
                + "cache dropped). Faults are the instance's minor/major page faults during its first invocation.%n%n",
                diskBytesPerSecond / 1e6));
        md.append("| function | working set | floor | spice-cold / floor | criu-cold / spice-cold | spice-hot restore "
                + "| spice-hot first response / warm | faults spice-hot | faults spice-cold | faults criu-cold |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (FunctionResult r : results) {
            long floor = floorNanos(r);
            long cold = med(of(r, Mode.SPICE_COLD), Measurement::latencyNanos);
            long criuCold = med(of(r, Mode.CRIU_COLD), Measurement::latencyNanos);
            long warmResponse = med(of(r, Mode.WARM), Measurement::firstResponseNanos);
            md.append(String.format(Locale.ROOT, "| %s | %.1f MiB | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.name(), workingSetBytes(r) / 1048576.0, floor > 0 ? fmt(floor) : "-",
                    ratio(cold, floor), ratio(criuCold, cold), fmt(med(of(r, Mode.SPICE_HOT), Measurement::restoreNanos)),
                    ratio(med(of(r, Mode.SPICE_HOT), Measurement::firstResponseNanos), warmResponse),
                    faults(of(r, Mode.SPICE_HOT)), faults(of(r, Mode.SPICE_COLD)), faults(of(r, Mode.CRIU_COLD))));
        }
    }

    /** The VM baseline beside Spice's cold restore, as the paper compares them. */
    private void appendVm(StringBuilder md) {
        if (results.stream().allMatch(r -> r.vm() == null)) {
            return;
        }
        md.append("\nVM baseline (" + Accelerator.detect().note + "; docs/benchmarks.md says what it stands in for): "
                + "snapshot on disk (memory file blocks + device state), the working set vm-ws prefetches, medians.\n\n"
                + "The restoring QEMU is started, paused, before the page cache is dropped and the clock starts (a "
                + "Firecracker restore is an API call to a started VMM); its cold start is shown apart. Restore phases: "
                + "loading the device state / waiting for the working set's reads after that / resuming; first "
                + "response: from resume to the answer.\n\n"
                + "| function | VM snapshot | VM working set | QEMU cold start (not counted) | vm-cold restore phases "
                + "| vm-cold first response "
                + "| vm-ws restore phases | vm-ws first response | vm-cold / spice-cold | vm-ws / spice-cold "
                + "| faults vm-cold | faults vm-ws | disk read vm-cold | disk read vm-ws |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (FunctionResult r : results) {
            if (r.vm() == null) {
                continue;
            }
            if (r.vm().skipped() != null) {
                md.append("| ").append(r.name()).append(" | skipped: ").append(r.vm().skipped().replace('|', '/'))
                        .append(" | | | | | | | | | | | | |\n");
                continue;
            }
            long cold = med(of(r, Mode.SPICE_COLD), Measurement::latencyNanos);
            List<Measurement> vmCold = of(r, Mode.VM_COLD), vmWs = of(r, Mode.VM_WS);
            md.append(String.format(Locale.ROOT, "| %s | %.1f MiB | %.1f MiB | %s | %s | %s | %s | %s | %s | %s | %s "
                    + "| %s | %.1f MiB | %.1f MiB |%n", r.name(), r.vm().imageBytes() / 1048576.0,
                    r.vm().workingSetPages() * 4096 / 1048576.0, fmt(r.vm().qemuColdStartNanos()), vmPhases(vmCold),
                    fmt(med(vmCold, Measurement::firstResponseNanos)), vmPhases(vmWs),
                    fmt(med(vmWs, Measurement::firstResponseNanos)),
                    ratio(med(vmCold, Measurement::latencyNanos), cold), ratio(med(vmWs, Measurement::latencyNanos), cold),
                    faults(vmCold), faults(vmWs), med(vmCold, Measurement::diskReadBytes) / 1048576.0,
                    med(vmWs, Measurement::diskReadBytes) / 1048576.0));
        }
    }

    /** Device state / working-set wait / resume, medians (see VmModes.Prepared.measure). */
    private static String vmPhases(List<Measurement> ms) {
        if (ms.isEmpty()) {
            return "-";
        }
        long state = med(ms, Measurement::stateNanos), wait = med(ms, Measurement::memoryNanos),
                restore = med(ms, Measurement::restoreNanos);
        return fmt(state) + " / " + fmt(wait) + " / " + fmt(Math.max(0, restore - state - wait));
    }

    /** How much faster than CRIU a cold restore is meant to be, where the floor allows it. */
    private static final double CRIU_FACTOR = 15;
    /** How much faster than the VM baseline a cold restore is meant to be. */
    private static final double VM_FACTOR = 10;
    /** How close to the floor a cold restore, and to warm + {@link #HOT_SLACK} a hot one, is meant to come. */
    private static final double FLOOR_FACTOR = 1.5, HOT_FACTOR = 1.5;
    private static final long HOT_SLACK = 1_000_000;

    /** A target's verdict for one function: null when this run lacks the modes to judge it. */
    private record Verdict(String cell, Boolean met) {}

    /** The targets, each judged per function on this run's medians, and overall. */
    private void appendGoals(StringBuilder md) {
        List<String> names = new ArrayList<>(List.of(
                String.format(Locale.ROOT, "spice-cold <= %.1fx floor", FLOOR_FACTOR),
                String.format(Locale.ROOT, "criu-cold / spice-cold >= %.0fx (where criu-cold / %.0f > floor)",
                        CRIU_FACTOR, CRIU_FACTOR),
                String.format(Locale.ROOT, "spice-hot <= %.1fx (warm + 1 ms)", HOT_FACTOR)));
        if (results.stream().anyMatch(r -> !of(r, Mode.VM_COLD).isEmpty())) {
            names.add(String.format(Locale.ROOT, "vm-cold / spice-cold >= %.0fx", VM_FACTOR));
        }
        md.append("\nTargets (medians of this run; met or missed per function, n/a where a target does not apply, "
                + "- where this run lacks a mode it needs):\n\n| function |");
        names.forEach(n -> md.append(' ').append(n).append(" |"));
        md.append("\n|---|");
        names.forEach(n -> md.append("---|"));
        md.append('\n');
        int[] met = new int[names.size()], judged = new int[names.size()];
        for (FunctionResult r : results) {
            List<Verdict> verdicts = List.of(nearFloor(r), fasterThanCriu(r), hotNearWarm(r), fasterThanVm(r))
                    .subList(0, names.size());
            md.append("| ").append(r.name()).append(" |");
            for (int i = 0; i < verdicts.size(); i++) {
                Verdict v = verdicts.get(i);
                md.append(' ').append(v.cell()).append(" |");
                if (v.met() != null) {
                    judged[i]++;
                    met[i] += v.met() ? 1 : 0;
                }
            }
            md.append('\n');
        }
        md.append("| overall |");
        for (int i = 0; i < names.size(); i++) {
            md.append(judged[i] == 0 ? " - |" : String.format(Locale.ROOT, " %s (%d of %d) |",
                    met[i] == judged[i] ? "met" : "missed", met[i], judged[i]));
        }
        md.append('\n');
    }

    private Verdict nearFloor(FunctionResult r) {
        long floor = floorNanos(r);
        long cold = med(of(r, Mode.SPICE_COLD), Measurement::latencyNanos);
        if (floor <= 0 || cold <= 0) {
            return new Verdict("-", null);
        }
        return verdict(cold <= FLOOR_FACTOR * floor, ratio(cold, floor));
    }

    private Verdict fasterThanCriu(FunctionResult r) {
        long floor = floorNanos(r);
        long cold = med(of(r, Mode.SPICE_COLD), Measurement::latencyNanos);
        long criuCold = med(of(r, Mode.CRIU_COLD), Measurement::latencyNanos);
        if (cold <= 0 || criuCold <= 0) {
            return new Verdict("-", null);
        }
        if (floor > 0 && criuCold / CRIU_FACTOR <= floor) {
            return new Verdict(String.format(Locale.ROOT, "n/a (%s, criu-cold / %.0f = %s <= floor %s)",
                    ratio(criuCold, cold), CRIU_FACTOR, fmt((long) (criuCold / CRIU_FACTOR)), fmt(floor)), null);
        }
        return verdict(criuCold >= CRIU_FACTOR * cold, ratio(criuCold, cold));
    }

    /** The paper's second claim, against the VM baseline (see its accelerator note: TCG is no fair stand-in). */
    private Verdict fasterThanVm(FunctionResult r) {
        long cold = med(of(r, Mode.SPICE_COLD), Measurement::latencyNanos);
        long vmCold = med(of(r, Mode.VM_COLD), Measurement::latencyNanos);
        if (cold <= 0 || vmCold <= 0) {
            return new Verdict("-", null);
        }
        return verdict(vmCold >= VM_FACTOR * cold, ratio(vmCold, cold));
    }

    private Verdict hotNearWarm(FunctionResult r) {
        long warm = med(of(r, Mode.WARM), Measurement::latencyNanos);
        long hot = med(of(r, Mode.SPICE_HOT), Measurement::latencyNanos);
        if (warm <= 0 || hot <= 0) {
            return new Verdict("-", null);
        }
        return verdict(hot <= HOT_FACTOR * (warm + HOT_SLACK), ratio(hot, warm + HOT_SLACK));
    }

    private static Verdict verdict(boolean met, String measured) {
        return new Verdict((met ? "met" : "missed") + " (" + measured + ")", met);
    }

    private void appendMemory(StringBuilder md) {
        if (memory.isEmpty()) {
            return;
        }
        md.append("\nMemory elasticity: N instances started at once, each measured after its first invocation while "
                + "all N are alive (medians per instance; total is the sum of PSS).\n\n"
                + "| function | instances | started | PSS per instance | PSS total | RSS per instance "
                + "| private per instance |\n|---|---:|---|---:|---:|---:|---:|\n");
        for (MemoryResult m : memory) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB |%s%n",
                    m.function(), m.instances(), m.path(), m.medianPss() / 1048576.0, m.totalPss() / 1048576.0,
                    m.medianRss() / 1048576.0, m.medianPrivate() / 1048576.0, m.verified() ? "" : " UNVERIFIED"));
        }
    }

    private void appendAblation(StringBuilder md) {
        if (ablation.isEmpty()) {
            return;
        }
        md.append("\nAblation: each step adds one optimization to the one above (medians, ms; faults minor/major of "
                + "the first invocation).\n\n| function | step | spice-hot | spice-hot restore | spice-cold "
                + "| spice-cold restore | spice-cold first response | faults spice-cold | disk read spice-cold |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (StepResult a : ablation) {
            List<Measurement> hot = of(a.result(), Mode.SPICE_HOT);
            List<Measurement> cold = of(a.result(), Mode.SPICE_COLD);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f MiB |%s%n",
                    a.result().name(), a.step().label, fmt(med(hot, Measurement::latencyNanos)),
                    fmt(med(hot, Measurement::restoreNanos)), fmt(med(cold, Measurement::latencyNanos)),
                    fmt(med(cold, Measurement::restoreNanos)), fmt(med(cold, Measurement::firstResponseNanos)),
                    faults(cold), med(cold, Measurement::diskReadBytes) / 1048576.0,
                    a.result().measurements().stream().allMatch(Measurement::verified) ? "" : " UNVERIFIED"));
        }
    }

    private static long workingSetPages(FunctionResult r) {
        return r.info().snapshot() == null ? 0 : r.info().snapshot().workingSetPages();
    }

    private static long workingSetBytes(FunctionResult r) {
        return workingSetPages(r) * ImageFormat.PAGE_SIZE;
    }

    /** warm + the working set read sequentially from this disk; 0 without the numbers for it. */
    private long floorNanos(FunctionResult r) {
        List<Measurement> warm = of(r, Mode.WARM);
        if (warm.isEmpty() || diskBytesPerSecond <= 0 || workingSetBytes(r) == 0) {
            return 0;
        }
        return med(warm, Measurement::latencyNanos) + (long) (workingSetBytes(r) / diskBytesPerSecond * 1e9);
    }

    private static String ratio(long a, long b) {
        return a > 0 && b > 0 ? String.format(Locale.ROOT, "%.2fx", (double) a / b) : "-";
    }

    private static String faults(List<Measurement> ms) {
        return ms.isEmpty() || med(ms, Measurement::minorFaults) < 0 ? "-"
                : med(ms, Measurement::minorFaults) + " / " + med(ms, Measurement::majorFaults);
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
