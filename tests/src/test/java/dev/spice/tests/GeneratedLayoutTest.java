package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageReader;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Memory layouts generated from seeds (tests/src/test/c/memlayout.c) survive capture and restore
 * byte for byte, as the program's own checksum over all its regions tells. The default suite runs
 * a few seeds; {@code scripts/roundtrip-sweep.sh} runs many ({@code -Dspice.layout.seeds=1-200}).
 * Seed 0 is the program of issue 9, whose image its own reader once refused.
 */
class GeneratedLayoutTest {
    /** SEED:HEAP_MIB pairs; one layout has a 1 GiB heap. */
    static final String DEFAULT_SEEDS = "0:64,1:1024,2:64,3:256,4:64";

    @TempDir
    Path dir;

    record Layout(long seed, long heapMib) {
        @Override
        public String toString() {
            return "seed " + seed + ", heap " + heapMib + " MiB";
        }
    }

    static Stream<Layout> layouts() {
        String spec = System.getProperty("spice.layout.seeds", DEFAULT_SEEDS);
        long heap = Long.getLong("spice.layout.heapMib", 64);
        return Stream.of(spec.split(",")).flatMap(item -> {
            String[] seedAndHeap = item.strip().split(":");
            long mib = seedAndHeap.length > 1 ? Long.parseLong(seedAndHeap[1]) : heap;
            String[] range = seedAndHeap[0].split("-");
            long first = Long.parseLong(range[0]), last = Long.parseLong(range[range.length - 1]);
            return LongStream.rangeClosed(first, last).mapToObj(seed -> new Layout(seed, mib));
        });
    }

    private MemLayout.Started start(Layout layout) {
        return MemLayout.start(dir, layout.seed(), layout.heapMib());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void everyByteRoundTrips(Layout layout) {
        Path image = dir.resolve("layout.img");
        MemLayout.Started original = start(layout);
        try (TestProcess p = original.process()) {
            Capturer.capture(p.pid, image, false);
        }
        assertThat(ImageReader.read(image).contents().runs()).isNotEmpty();
        try (Restored restored = Restored.restore(image)) {
            assertThat(MemLayout.sum(restored.stdio)).as("checksum after restore").isEqualTo(original.sum());
            assertThat(MemLayout.sum(restored.stdio)).as("checksum read again").isEqualTo(original.sum());
        }
    }

    @Test
    void eightConcurrentRestoresOfIssueNinesProgramAreExact() throws Exception {
        Path image = dir.resolve("issue9.img");
        MemLayout.Started original = start(new Layout(0, 0));
        try (TestProcess p = original.process()) {
            Capturer.capture(p.pid, image, false);
        }
        List<Restored> restored = Restored.concurrently(image, ConcurrentRestoreTest.INSTANCES);
        try {
            assertThat(restored).extracting(r -> r.process.pid()).doesNotHaveDuplicates();
            for (Restored r : restored) {
                assertThat(MemLayout.sum(r.stdio)).isEqualTo(original.sum());
            }
        } finally {
            restored.forEach(Restored::close);
        }
    }
}
