package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.bench.load.LoadTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load test of {@code spice bench load} (docs/benchmarks.md), briefly: a real {@code spice serve}
 * in a process of its own, hello, numpy_stats and a hello limited to 2 instances under 3 clients
 * each for 20 s; no request lost, duplicated or answered for another; no descriptor, process or
 * cgroup of the server left. {@code scripts/load-test.sh} is the long run.
 */
class ServerLoadTest {
    @TempDir
    Path out;

    @Test
    void aLoadAboveMaxConcurrencyLosesNothingAndLeavesNothing() throws Exception {
        Path state = Path.of("/tmp/load-test-" + ProcessHandle.current().pid());
        LoadTest test = new LoadTest(SpiceJvm.command(), List.of(
                new LoadTest.Target(Path.of("../functions/hello").toAbsolutePath(), "hello", null),
                new LoadTest.Target(Path.of("../functions/numpy_stats").toAbsolutePath(), "numpy_stats", null),
                new LoadTest.Target(Path.of("../functions/hello").toAbsolutePath(), "hello_narrow", 2)),
                3, Duration.ofSeconds(20), state, out);
        LoadTest.Result r = test.run();
        String report = Files.readString(out.resolve("load.md"));
        System.out.print(report);
        assertThat(r.failures()).as(report).isEmpty();
        assertThat(state).as("removed after a run that passed").doesNotExist();
    }
}
