package dev.spice.bench.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spice bench load}: the load test of a real {@code spice serve}. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Start spice serve as a process of its own, drive its Lambda invoke endpoint from this process "
                + "over the loopback, and check that no request is lost, duplicated or answered for another, and that "
                + "no process, cgroup or descriptor of the server leaks. Writes load.md. Needs root.")
public final class LoadCommand implements Callable<Integer> {
    @Option(names = "--duration", defaultValue = "180", description = "seconds of load (default: ${DEFAULT-VALUE})")
    int durationS;

    @Option(names = "--functions", split = ",", defaultValue = "hello,numpy_stats",
            description = "functions of functions/ to deploy (default: ${DEFAULT-VALUE}); hello is also deployed as "
                    + "hello_narrow with --narrow-concurrency")
    List<String> functions;

    @Option(names = "--clients", defaultValue = "3", description = "concurrent clients per function (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--narrow-concurrency", defaultValue = "2",
            description = "max_concurrency of hello_narrow, below --clients (default: ${DEFAULT-VALUE})")
    int narrow;

    @Option(names = "--out", description = "directory for load.md and server.log (default: bench-results/load-TIMESTAMP)")
    Path out;

    @Option(names = "--state-dir", description = "the server's state directory, created afresh (default: /tmp/load-TIMESTAMP)")
    Path stateDir;

    @Override
    public Integer call() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path home = Path.of(System.getProperty("spice.home", "."));
        Path state = stateDir != null ? stateDir : Path.of("/tmp/load-" + stamp);
        if (Files.exists(state)) {
            System.err.println("spice bench load: " + state + " exists; give a new --state-dir");
            return 2;
        }
        List<LoadTest.Target> targets = new ArrayList<>();
        for (String f : functions) {
            Path source = home.resolve("functions").resolve(f);
            if (!Files.isRegularFile(source.resolve("spice.yaml"))) {
                System.err.println("spice bench load: no function " + source);
                return 2;
            }
            targets.add(new LoadTest.Target(source, f, null));
        }
        targets.add(new LoadTest.Target(home.resolve("functions/hello"), "hello_narrow", narrow));
        LoadTest test = new LoadTest(List.of(home.resolve("bin/spice").toString()), targets, clients,
                Duration.ofSeconds(durationS), state, out != null ? out : Path.of("bench-results", "load-" + stamp));
        System.err.printf("spice bench load: %s, %d clients each, %d s, state %s%n", functions, clients, durationS, state);
        LoadTest.Result r = test.run();
        System.out.print(LoadReport.render(r));
        return r.failures().isEmpty() ? 0 : 1;
    }
}
