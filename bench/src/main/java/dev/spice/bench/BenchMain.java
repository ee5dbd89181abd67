package dev.spice.bench;

import dev.spice.bench.AblationBench.StepResult;
import dev.spice.bench.FunctionBench.FunctionResult;
import dev.spice.bench.MemoryBench.MemoryResult;
import dev.spice.bench.load.LoadCommand;
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
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spice bench}: the paper's functions in every mode, one run, one report. */
@Command(name = "spice bench", mixinStandardHelpOptions = true, subcommands = LoadCommand.class,
        description = "Measure functions warm, booted, restored by Spice (page cache hot and dropped) and by CRIU, "
                + "on this machine, in one run. Writes results.json, results.md and chart.svg. Needs root.")
public final class BenchMain implements Callable<Integer> {
    private static final List<String> QUICK_FUNCTIONS = List.of("hello", "lr_serving");

    @Option(names = "--functions", split = ",", description = "functions to measure (default: all with an event.json)")
    List<String> functions;

    @Option(names = "--modes", split = ",", description = "modes (default: warm,boot,spice-hot,spice-cold,"
            + "criu-hot,criu-cold; also vm-cold,vm-ws,vm-hot, the VM baseline in QEMU, see docs/benchmarks.md)")
    List<String> modes;

    @Option(names = "--runs", description = "runs per function and mode (default: 10, or 3 with --quick)")
    Integer runs;

    @Option(names = "--out", description = "directory for the results (default: bench-results/TIMESTAMP)")
    Path out;

    @Option(names = "--quick", description = "hello and one heavier function, 3 runs")
    boolean quick;

    @Option(names = "--memory-instances", split = ",", description = "instance counts for the memory elasticity "
            + "measurement (default: 1,4,16; with --quick 1,4; 0 to skip)")
    List<Integer> memoryInstances;

    @Option(names = "--ablation-runs", description = "runs per step of the ablation (lazy, +layout, +prefetch, "
            + "+pre-copy, +pinned, -sandbox) (default: 5; with --quick 2; 0 to skip)")
    Integer ablationRuns;

    @Option(names = "--functions-dir", description = "where the function directories are (default: SPICE_HOME/functions)")
    Path functionsDir;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new BenchMain());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            System.err.println("spice bench: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws IOException {
        List<Mode> selectedModes = modes == null ? Mode.all() : modes.stream().map(Mode::parse).toList();
        int runCount = runs != null ? runs : quick ? 3 : 10;
        Path root = functionsDir != null ? functionsDir : Path.of(System.getProperty("spice.home", "."), "functions");
        List<BenchFunction> selected = select(root, functions != null ? functions : quick ? QUICK_FUNCTIONS : null);
        Path dir = (out != null ? out : Path.of("bench-results",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        Files.createDirectories(dir);
        List<Integer> counts = (memoryInstances != null ? memoryInstances : quick ? List.of(1, 4) : List.of(1, 4, 16))
                .stream().filter(n -> n > 0).toList();
        int stepRuns = ablationRuns != null ? ablationRuns : quick ? 2 : 5;
        System.err.printf("spice bench: %d functions x %d modes x %d runs, memory with %s instances, ablation with %d "
                + "runs -> %s%n", selected.size(), selectedModes.size(), runCount, counts, stepRuns, dir);
        CpuSteal start = CpuSteal.now();
        double diskRate = SystemProbes.sequentialReadBytesPerSecond(dir, quick ? 64L << 20 : 256L << 20);
        System.err.printf(Locale.ROOT, "spice bench: this disk reads %.0f MB/s sequentially%n", diskRate / 1e6);
        PageTableCosts costs = PageTableCosts.measure();
        System.err.println("spice bench: this machine takes " + costs.describe());
        List<FunctionResult> results = new ArrayList<>();
        List<MemoryResult> memory = new ArrayList<>();
        Consumer<Measurement> progress = printer(selected.size() * selectedModes.size() * runCount);
        try (Engine engine = Engine.open(EngineConfig.defaults(dir.resolve("state")))) {
            CriuModes criu = selectedModes.stream().anyMatch(Mode::criu)
                    ? CriuModes.locate(engine, Path.of(System.getProperty("spice.home", ".")), dir.resolve("criu"))
                    : null;
            VmModes vm = selectedModes.stream().anyMatch(Mode::vm)
                    ? VmModes.locate(engine, Path.of(System.getProperty("spice.home", ".")), dir.resolve("vm"))
                    : null;
            FunctionBench bench = new FunctionBench(engine, criu, vm, System.err);
            MemoryBench memoryBench = new MemoryBench(engine, System.err);
            for (BenchFunction f : selected) {
                FunctionResult r = bench.measure(f, selectedModes, runCount, progress);
                results.add(r);
                List<Integer> fitting = counts.stream().filter(n -> n <= r.info().maxConcurrency()).toList();
                if (fitting.size() < counts.size()) {
                    System.err.printf("%s: max_concurrency %d, memory measured with %s instances only%n", f.name(),
                            r.info().maxConcurrency(), fitting);
                }
                memory.addAll(memoryBench.measure(f, fitting));
            }
        }
        List<StepResult> ablation = new ArrayList<>();
        if (stepRuns > 0) {
            AblationBench steps = new AblationBench(dir.resolve("ablation"), System.err);
            Consumer<Measurement> stepProgress = printer(selected.size() * AblationBench.Step.values().length
                    * AblationBench.MODES.size() * stepRuns);
            for (BenchFunction f : selected) {
                ablation.addAll(steps.measure(f, stepRuns, stepProgress));
            }
        }
        String machine = Machine.describe(CpuSteal.now().percentSince(start), costs);
        Report report = new Report(machine, selectedModes, runCount, results, diskRate, memory, ablation);
        report.write(dir);
        System.out.print(report.markdown());
        System.err.println("spice bench: results in " + dir.toAbsolutePath());
        boolean verified = results.stream().flatMap(r -> r.measurements().stream()).allMatch(Measurement::verified)
                && memory.stream().allMatch(MemoryResult::verified)
                && ablation.stream().flatMap(a -> a.result().measurements().stream()).allMatch(Measurement::verified);
        return verified ? 0 : 1;
    }

    /** Prints each measurement as it is taken, numbered out of {@code total}. */
    private static Consumer<Measurement> printer(int total) {
        AtomicInteger done = new AtomicInteger();
        return m -> System.err.printf(Locale.ROOT, "[%3d/%d] %-18s %-10s run %2d: %9.3f ms (%s)%s%n",
                done.incrementAndGet(), total, m.function(), m.mode().label(), m.run(), m.latencyNanos() / 1e6, m.path(),
                m.verified() ? "" : " UNVERIFIED");
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

        static String describe(double stealPercent, PageTableCosts costs) {
            try {
                String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                        .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip())
                        .orElse("unknown CPU");
                long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                        .filter(l -> l.startsWith("MemTotal")).findFirst()
                        .map(l -> Long.parseLong(l.replaceAll("\\D+", ""))).orElse(0L);
                return String.format(Locale.ROOT, "%d vCPU %s, %.0f GiB RAM, Linux %s; the host took %.1f%% of the CPU "
                        + "time during the run (steal); %s", SystemProbes.cpus(), cpu, memKb / 1048576.0,
                        System.getProperty("os.version"), stealPercent, costs.describe());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
