package dev.spice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.restore.Prefetch;
import dev.spice.sys.Fds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment records its working set and lays its image out by it; the same image then restores
 * correctly with every prefetch mode, and prefetching removes the first invocation's page faults,
 * whether the image is read from the disk (its pages dropped from the page cache first) or is
 * already cached (then only the written pages are populated).
 */
class PrefetchTest {
    @TempDir
    Path state;

    @Test
    void everyPrefetchModeRestoresTheReorderedImageAndFullPrefetchAvoidsFaults() throws Exception {
        try (Engine deployer = Engine.open(EngineConfig.defaults(state))) {
            FunctionInfo info = deployer.deploy(EngineTest.HELLO);
            assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
            assertThat(info.snapshot().workingSetPages()).isPositive();
            assertThat(info.snapshot().workingSetWrittenPages()).isPositive()
                    .isLessThanOrEqualTo(info.snapshot().workingSetPages());
        }
        Path image = state.resolve("functions/hello/current/snapshot.img");
        Map<Prefetch, Long> minorFaults = new EnumMap<>(Prefetch.class);
        for (Prefetch mode : new Prefetch[] {Prefetch.NONE, Prefetch.READ, Prefetch.FULL}) {
            Fds.dropCachedPages(image);
            minorFaults.put(mode, restoreAndInvoke(mode));
        }
        long hotFull = restoreAndInvoke(Prefetch.FULL);   // the image is cached now
        String faults = minorFaults + ", hot FULL=" + hotFull;
        // Populating the working set leaves the handler a small fraction of the faults of lazy mapping.
        assertThat(minorFaults.get(Prefetch.FULL) * 4).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
        assertThat(minorFaults.get(Prefetch.READ)).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
        // Hot, the written pages are still copied ahead; the read ones fault in 16 at a time.
        assertThat(hotFull * 2).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
    }

    private long restoreAndInvoke(Prefetch mode) throws Exception {
        try (Engine e = Engine.open(EngineConfig.defaults(state).withWorkingSet(true, mode))) {
            String name = mode.name().toLowerCase();
            InvocationResult r = e.invoke("hello", ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8),
                    new InvokeOptions(true));
            assertThat(r.errorType()).as(r.log()).isNull();
            assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
            assertThat(EngineTest.json(r).get("message").asText()).isEqualTo("Hello, " + name + "!");
            assertThat(r.timings().minorFaults()).isNotNegative();
            return r.timings().minorFaults();
        }
    }
}
