package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's python3 with numpy, captured in the middle of a computation, finishes it exactly:
 * single-threaded, and with OpenBLAS's own pool of worker threads, all captured and restored.
 */
class PythonNumpyTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final Map<String, String> ENV = TestPrograms.environment("OPENBLAS_NUM_THREADS", "1");

    @TempDir
    Path dir;

    static List<String> argv() {
        return List.of(TestPrograms.PYTHON, TestPrograms.resource("numpy_walk.py"), "30", "0.02");
    }

    @Test
    void restoredInterpreterPrintsExactlyWhatTheOriginalWould() {
        assertThat(finishesExactly(ENV)).isEqualTo(1);
    }

    @Test
    void restoredInterpreterWithBlasThreadsPrintsExactlyWhatTheOriginalWould() {
        assertThat(finishesExactly(TestPrograms.environment("OPENBLAS_NUM_THREADS", "4")))
                .as("the main thread and OpenBLAS's workers (as many as CPUs, at most 4)").isGreaterThan(1);
    }

    /** Runs the walk to the end, then captured at step 10 and restored; returns the image's thread count. */
    private int finishesExactly(Map<String, String> env) {
        List<String> reference;
        try (TestProcess full = TestProcess.start(argv(), env)) {
            reference = full.stdout().rest(TIMEOUT);
            assertThat(full.waitFor()).isZero();
        }
        assertThat(reference).hasSize(32).endsWith("done");

        Path image = dir.resolve("python.img");
        List<String> combined = new ArrayList<>();
        try (TestProcess original = TestProcess.start(argv(), env)) {
            original.stdout().awaitPrefix("step 10 ", TIMEOUT);
            Capturer.capture(original.pid, image, false);
            original.stdout().rest(TIMEOUT);
            combined.addAll(original.stdout().seen());
        }
        int threads = ImageReader.read(image).contents().threads().size();
        try (Restored restored = Restored.restore(image)) {
            combined.addAll(restored.stdout().rest(TIMEOUT));
            assertThat(restored.waitFor()).isZero();
        }
        assertThat(combined).containsExactlyElementsOf(reference);
        return threads;
    }
}
