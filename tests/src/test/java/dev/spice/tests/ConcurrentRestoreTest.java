package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One image restored eight times at once: eight independent processes, all correct. */
class ConcurrentRestoreTest {
    static final int INSTANCES = 8;

    @TempDir
    Path dir;

    @Test
    void eightConcurrentRestoresRunIndependently() throws Exception {
        Path image = dir.resolve("concurrent.img");
        try (TestProcess original = RichState.start(RichState.dataFile(dir), 1500)) {
            Capturer.capture(original.pid, image, false);
        }
        List<Restored> restored = Restored.concurrently(image, INSTANCES);
        try {
            assertThat(restored).extracting(r -> r.process.pid()).doesNotHaveDuplicates();
            for (int i = 0; i < INSTANCES; i++) {
                restored.get(i).stdio.writeLine("instance " + i);
            }
            for (int i = 0; i < INSTANCES; i++) {
                Restored r = restored.get(i);
                RichState.expectAllChecksPass(r.stdout(), r.waitFor(), "instance " + i);
            }
        } finally {
            restored.forEach(Restored::close);
        }
    }
}
