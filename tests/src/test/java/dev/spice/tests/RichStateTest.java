package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot and restore of a C program with rich state (heap, mappings with holes, a modified page
 * of a private file mapping, TLS, a signal handler on an alternate stack, a blocked signal, a file
 * at an offset, AVX registers), captured while it sleeps in nanosleep: the restored process
 * finishes the sleep and its own checks pass.
 */
class RichStateTest {
    @TempDir
    Path dir;

    @Test
    void restoredProcessContinuesTheSleepAndPassesItsChecks() {
        Path image = dir.resolve("rich.img");
        try (TestProcess original = RichState.start(RichState.dataFile(dir), 2500)) {
            Capturer.capture(original.pid, image, false);
            assertThat(original.alive()).as("the original is killed after the capture").isFalse();
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("hello");
            String slept = restored.stdout().awaitPrefix("slept ", RichState.TIMEOUT);
            assertThat(Integer.parseInt(slept.substring(6))).isGreaterThanOrEqualTo(2400);
            RichState.expectAllChecksPass(restored.stdout(), restored.waitFor(), "hello");
        }
    }

    @Test
    void leaveRunningKeepsTheOriginalWorking() {
        Path image = dir.resolve("rich-running.img");
        try (TestProcess original = RichState.start(RichState.dataFile(dir), 800)) {
            Capturer.capture(original.pid, image, true);
            original.stdio.writeLine("still here");
            RichState.expectAllChecksPass(original.stdout(), original.waitFor(), "still here");
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("restored");
            RichState.expectAllChecksPass(restored.stdout(), restored.waitFor(), "restored");
        }
    }

    @Test
    void captureWhileBlockedInReadRestartsTheRead() {
        Path image = dir.resolve("rich-read.img");
        try (TestProcess original = RichState.start(RichState.dataFile(dir), 100)) {
            original.stdout().awaitPrefix("ALL OK", RichState.TIMEOUT);
            Capturer.capture(original.pid, image, false);
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("after restore");
            assertThat(restored.stdout().awaitPrefix("got ", RichState.TIMEOUT)).isEqualTo("got after restore");
            assertThat(restored.waitFor()).isZero();
        }
    }
}
