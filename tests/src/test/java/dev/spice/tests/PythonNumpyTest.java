package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's python3 with numpy, captured in the middle of a computation, finishes it exactly. */
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
        List<String> reference;
        try (TestProcess full = TestProcess.start(argv(), ENV)) {
            reference = full.stdout().rest(TIMEOUT);
            assertThat(full.waitFor()).isZero();
        }
        assertThat(reference).hasSize(32).endsWith("done");

        Path image = dir.resolve("python.img");
        List<String> combined = new ArrayList<>();
        try (TestProcess original = TestProcess.start(argv(), ENV)) {
            original.stdout().awaitPrefix("step 10 ", TIMEOUT);
            Capturer.capture(original.pid, image, false);
            original.stdout().rest(TIMEOUT);
            combined.addAll(original.stdout().seen());
        }
        try (Restored restored = Restored.restore(image)) {
            combined.addAll(restored.stdout().rest(TIMEOUT));
            assertThat(restored.waitFor()).isZero();
        }
        assertThat(combined).containsExactlyElementsOf(reference);
    }
}
