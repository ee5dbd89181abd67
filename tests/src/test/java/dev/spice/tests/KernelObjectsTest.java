package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import dev.spice.sys.LineQueue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Snapshot and restore of the kernel objects behind descriptors (tests/src/test/c/kobjects.c):
 * eventfds, epolls (edge-triggered, one-shot, nested, data cookies), timerfds (periodic, absolute,
 * expired unread), a signalfd, a pipe with buffered bytes, stream, datagram and seqpacket socket
 * pairs with queued messages, and inotify, each with state and descriptor numbers drawn from a
 * seed. The restored process checks every object itself and uses each once more.
 */
class KernelObjectsTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Between capture and restore: a timer must not count this time as passed. */
    private static final long GAP_MS = 700;
    private static final long TIMER_MS = 5000;

    @TempDir
    Path dir;

    /** Seeds drawn from a fixed generator, so that a failure is reproducible by its seed. */
    static IntStream seeds() {
        return new Random(20261203).ints(4, 1, Integer.MAX_VALUE);
    }

    /** Starts it watching a directory of its own (the image is written elsewhere, unseen by the watch). */
    static TestProcess start(int seed, Path dir) {
        Path watched = dir.resolve("watched");
        try {
            java.nio.file.Files.createDirectories(watched);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TestProcess p = TestProcess.start(List.of(TestPrograms.c("kobjects"), Integer.toString(seed), watched.toString()),
                TestPrograms.environment());
        p.stdout().awaitPrefix("ready ", TIMEOUT);
        return p;
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void restoredObjectsHoldTheirStateAndKeepWorking(int seed) throws InterruptedException {
        Path image = dir.resolve("kobjects.img");
        long ready, captured;
        try (TestProcess original = start(seed, dir)) {
            ready = System.nanoTime();
            Capturer.capture(original.pid, image, false);
            captured = System.nanoTime();
        }
        Thread.sleep(GAP_MS);
        long restoring = System.nanoTime();
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            String remaining = restored.stdout().awaitPrefix("timer-remaining ", TIMEOUT);
            long asked = System.nanoTime();
            long ms = Long.parseLong(remaining.substring("timer-remaining ".length()));
            // When the capture read the timer, at least TIMER_MS - (captured - ready) remained (less
            // the program's own 20 ms before "ready"); after the restore as much remains again, less
            // only the time from the restore to the program's question: the gap does not count.
            long atCapture = TIMER_MS - (captured - ready) / 1_000_000;
            assertThat(ms).as("remaining time of the absolute timer (seed %d)", seed)
                    .isLessThanOrEqualTo(TIMER_MS - 20)
                    .isGreaterThan(atCapture - (asked - restoring) / 1_000_000 - 150);
            expectAllChecksPass(restored.stdout(), restored.waitFor(), seed);
        }
    }

    @Test
    void captureWithLeaveRunningConsumesNothing() {
        int seed = seeds().findFirst().orElseThrow();
        Path image = dir.resolve("kobjects-running.img");
        try (TestProcess original = start(seed, dir)) {
            Capturer.capture(original.pid, image, true);
            original.stdio.writeLine("go");
            expectAllChecksPass(original.stdout(), original.waitFor(), seed);
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            expectAllChecksPass(restored.stdout(), restored.waitFor(), seed);
        }
    }

    static void expectAllChecksPass(LineQueue out, int exitCode, int seed) {
        List<String> rest = out.rest(TIMEOUT);
        assertThat(rest).as("seed %d", seed).filteredOn(l -> l.startsWith("check ")).hasSizeGreaterThan(20)
                .allMatch(l -> l.endsWith(" ok"));
        assertThat(rest).as("seed %d", seed).contains("ALL OK");
        assertThat(exitCode).isZero();
    }
}
