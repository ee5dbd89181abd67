package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageReader;
import dev.spice.restore.RestoreFailedException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Multi-threaded processes: every thread stopped, captured and restored at its TID, in its state
 * (futex waits, sleep, busy loop, read, poll, select, sigwaitinfo, join, mutex, read on a pipe,
 * epoll_wait on an eventfd and on a timerfd), and going on exactly
 * where it was (tests/src/test/c/threads.c checks each thread against what it recorded).
 */
class ThreadsTest {
    @TempDir
    Path dir;

    @Test
    void elevenThreadsInElevenStatesGoOnAfterRestore() {
        Path image = dir.resolve("threads.img");
        ThreadedProgram.Ready before;
        try (TestProcess original = ThreadedProgram.start(List.of(), 0)) {
            before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.Result r = Capturer.capture(original.pid, image, false);
            assertThat(r.pid()).isEqualTo(original.pid);
            assertThat(original.alive()).as("the original is killed after the capture").isFalse();
        }
        assertThat(before.threads()).extracting(ThreadedProgram.Thread::kind)
                .containsExactly("main", "reader", "cond", "sleep", "busy", "poll", "sigwait", "mutex", "pipe",
                        "eventfd", "timerfd");
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            ThreadedProgram.expectContinued(before, restored.stdout(), restored::waitFor);
        }
    }

    @Test
    void leaveRunningReleasesEveryThread() {
        Path image = dir.resolve("threads-running.img");
        try (TestProcess original = ThreadedProgram.start(List.of(), 0)) {
            ThreadedProgram.Ready before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, true);
            original.stdio.writeLine("go");
            ThreadedProgram.expectContinued(before, original.stdout(), original::waitFor);
        }
    }

    @Test
    void eightConcurrentRestoresOfOneMultiThreadedImage() throws Exception {
        Path image = dir.resolve("threads-concurrent.img");
        ThreadedProgram.Ready before;
        try (TestProcess original = ThreadedProgram.start(List.of(), 0)) {
            before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, false);
        }
        List<Restored> restored = Restored.concurrently(image, ConcurrentRestoreTest.INSTANCES);
        try {
            assertThat(restored).extracting(r -> r.process.pid()).doesNotHaveDuplicates();
            restored.forEach(r -> r.stdio.writeLine("go"));
            for (Restored r : restored) {
                ThreadedProgram.expectContinued(before, r.stdout(), r::waitFor);
            }
        } finally {
            restored.forEach(Restored::close);
        }
    }

    /**
     * Threads that start and end all the time (four threads starting and joining short-lived
     * ones): the capture stops every thread there is, however many come and go meanwhile, and
     * the restored churners go on (a short-lived thread caught in the snapshot ends after it).
     */
    @Test
    void threadsComingAndGoingDuringTheCapture() {
        Path image = dir.resolve("threads-churn.img");
        ThreadedProgram.Ready before;
        try (TestProcess original = ThreadedProgram.start(List.of("churn"), 0)) {
            before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, false);
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            ThreadedProgram.expectContinued(before, restored.stdout(), restored::waitFor);
        }
    }

    /**
     * A seccomp filter every thread runs under (installed before they started) is installed again
     * for all of them at once (TSYNC): each restored thread still gets errno 77 from getppid.
     */
    @Test
    void everyRestoredThreadRunsUnderTheProcesssFilter() {
        Path image = dir.resolve("threads-filtered.img");
        ThreadedProgram.Ready before;
        try (TestProcess original = ThreadedProgram.start(List.of("7"), 12,
                TestPrograms.environment("THREADS_DENY", "getppid"))) {
            before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, false);
        }
        assertThat(ImageReader.read(image).contents().seccomp()).hasSize(1);
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            ThreadedProgram.expectContinued(before, restored.stdout(), restored::waitFor);
        }
    }

    /** Threads leave through futex and the reaper yields: a filter that denies sched_yield is refused up front. */
    @Test
    void filterThatDeniesAThreadsLastCallsIsRefusedBeforeAnythingStarts() {
        Path image = dir.resolve("threads-yield.img");
        try (TestProcess original = ThreadedProgram.start(List.of(), 0,
                TestPrograms.environment("THREADS_DENY", "sched_yield"))) {
            ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, false);
        }
        assertThatThrownBy(() -> Restored.restore(image)).isInstanceOf(RestoreFailedException.class)
                .hasMessageContaining("answers sched_yield with ERRNO 1").hasMessageNotContaining("\n");
    }

    /** Seeded variants: 1 to 64 threads in states drawn from the seed (the program prints what it drew). */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void generatedThreadMixesGoOnAfterRestore(long seed) {
        captureAndRestore(seed, 0);
    }

    /** The extremes of the drawn range: a single thread, and 64. */
    @ParameterizedTest
    @ValueSource(ints = {1, 64})
    void oneAndSixtyFourThreads(int threads) {
        captureAndRestore(100 + threads, threads);
    }

    private void captureAndRestore(long seed, int threads) {
        Path image = dir.resolve("threads-" + seed + ".img");
        ThreadedProgram.Ready before;
        try (TestProcess original = ThreadedProgram.start(List.of(Long.toString(seed)), threads)) {
            before = ThreadedProgram.awaitReady(original.stdout());
            Capturer.capture(original.pid, image, false);
        }
        if (threads > 0) {
            assertThat(before.threads()).hasSize(threads);
        }
        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("go");
            ThreadedProgram.expectContinued(before, restored.stdout(), restored::waitFor);
        }
    }
}
