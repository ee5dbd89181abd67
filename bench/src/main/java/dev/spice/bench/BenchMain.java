package dev.spice.bench;

import dev.spice.bench.FunctionBench.FunctionResult;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spice bench}: the paper's functions in every mode, one run, one report. */
@Command(name = "spice bench", mixinStandardHelpOptions = true,
        description = "Measure functions warm, booted, restored by Spice (page cache hot and dropped) and by CRIU, "
                + "on this machine, in one run. Writes results.json, results.md and chart.svg. Needs root.")
public final class BenchMain implements Callable<Integer> {
    private static final List<String> QUICK_FUNCTIONS = List.of("hello", "lr_serving");

    @Option(names = "--functions", split = ",", description = "functions to measure (default: all with an event.json)")
    List<String> functions;

    @Option(names = "--modes", split = ",", description = "modes (default: all: warm,boot,spice-hot,spice-cold,"
            + "criu-hot,criu-cold)")
    List<String> modes;

    @Option(names = "--runs", description = "runs per function and mode (default: 10, or 3 with --quick)")
    Integer runs;

    @Option(names = "--out", description = "directory for the results (default: bench-results/TIMESTAMP)")
    Path out;

    @Option(names = "--quick", description = "hello and one heavier function, 3 runs")
    boolean quick;

    @Option(names = "--functions-dir", description = "where the function directories are (default: SPICE_HOME/functions)")
    Path functionsDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        List<Mode> selectedModes = modes == null ? Mode.all() : modes.stream().map(Mode::parse).toList();
        int runCount = runs != null ? runs : quick ? 3 : 10;
        Path root = functionsDir != null ? functionsDir : Path.of(System.getProperty("spice.home", "."), "functions");
        List<BenchFunction> selected = select(root, functions != null ? functions : quick ? QUICK_FUNCTIONS : null);
        Path dir = out != null ? out : Path.of("bench-results",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        int total = selected.size() * selectedModes.size() * runCount;
        AtomicInteger done = new AtomicInteger();
        List<FunctionResult> results = new ArrayList<>();
        System.err.printf("spice bench: %d functions x %d modes x %d runs -> %s%n", selected.size(),
                selectedModes.size(), runCount, dir);
        try (Engine engine = Engine.open(EngineConfig.defaults(dir.resolve("state")))) {
            CriuModes criu = selectedModes.stream().anyMatch(Mode::criu)
                    ? CriuModes.locate(engine, Path.of(System.getProperty("spice.home", ".")), dir.resolve("criu"))
                    : null;
            FunctionBench bench = new FunctionBench(engine, criu, System.err);
            for (BenchFunction f : selected) {
                results.add(bench.measure(f, selectedModes, runCount, m -> System.err.printf(Locale.ROOT,
                        "[%3d/%d] %-18s %-10s run %2d: %9.3f ms (%s)%s%n", done.incrementAndGet(), total, m.function(),
                        m.mode().label(), m.run(), m.latencyNanos() / 1e6, m.path(), m.verified() ? "" : " UNVERIFIED")));
            }
        }
        Report report = new Report(Machine.describe(), selectedModes, runCount, results);
        report.write(dir);
        System.out.print(report.markdown());
        System.err.println("spice bench: results in " + dir.toAbsolutePath());
        return results.stream().flatMap(r -> r.measurements().stream()).allMatch(Measurement::verified) ? 0 : 1;
    }

    private static List<BenchFunction> select(Path root, List<String> names) {
        List<BenchFunction> all = BenchFunction.all(root);
        if (names == null) {
            return all;
        }
        List<BenchFunction> chosen = new ArrayList<>();
        for (String n : names) {
            chosen.add(all.stream().filter(f -> f.name().equals(n)).findFirst().orElseThrow(
                    () -> new CommandLine.ParameterException(new CommandLine(new BenchMain()), "no function " + n
                            + " with an event.json in " + root + " (have: "
                            + Arrays.toString(all.stream().map(BenchFunction::name).toArray()) + ")")));
        }
        return chosen;
    }

    /** The machine the run was made on, for the report. */
    static final class Machine {
        private Machine() {}

        static String describe() {
            try {
                String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                        .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip())
                        .orElse("unknown CPU");
                long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                        .filter(l -> l.startsWith("MemTotal")).findFirst()
                        .map(l -> Long.parseLong(l.replaceAll("\\D+", ""))).orElse(0L);
                return String.format(Locale.ROOT, "%d vCPU %s, %.0f GiB RAM, Linux %s", SystemProbes.cpus(), cpu,
                        memKb / 1048576.0, System.getProperty("os.version"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
