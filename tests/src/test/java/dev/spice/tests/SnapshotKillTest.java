package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.image.Image;
import dev.spice.image.ImageReader;
import dev.spice.sys.proc.ProcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spice snapshot} SIGKILLed at random points (docs/faults.md): the target path holds either
 * nothing or a whole, valid image that restores; the original runs on with its memory intact, or
 * is gone (killed by the kernel while an injected call ran, or by the finished snapshot); it is
 * never left stopped or traced. The points are drawn from a seed that the test prints;
 * {@code -Dspice.fault.seed=S} replays a run, {@code -Dspice.fault.kills=N} draws more.
 */
class SnapshotKillTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** A layout whose capture takes most of the command's time (a 1 GiB heap, 90 MiB written). */
    static final long LAYOUT_SEED = 1, LAYOUT_HEAP_MIB = 1024;

    @TempDir
    Path dir;

    private MemLayout.Started startOriginal() {
        return MemLayout.start(dir, LAYOUT_SEED, LAYOUT_HEAP_MIB);
    }

    @Test
    void killedAtRandomPointsLeavesNoPartialImageAndTheOriginalWhole() throws IOException {
        int kills = FaultPoints.kills();
        Random random = FaultPoints.random("SnapshotKillTest");
        Path image = dir.resolve("killed.img");

        long fullRunNanos = timeOneSnapshot(image);
        Files.delete(image);
        int[] outcomes = new int[3]; // none written / written, original running / written, original gone
        for (int i = 0; i < kills; i++) {
            long delay = (long) (random.nextDouble() * fullRunNanos);
            outcomes[killAfter(image, delay)]++;
            Files.deleteIfExists(image);
        }
        System.out.printf("SnapshotKillTest: %d kills in %d ms: %d before the image, %d after it (original"
                + " running), %d after it (original gone)%n", kills, fullRunNanos / 1_000_000, outcomes[0],
                outcomes[1], outcomes[2]);

        timeOneSnapshot(image);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")))
                    .as("temporaries of killed writers, removed by the next writer").isEmpty();
        }
    }

    /** One undisturbed snapshot, checked; after kills, it is the next writer that removes their temporaries. */
    private long timeOneSnapshot(Path image) {
        MemLayout.Started original = startOriginal();
        try (TestProcess p = original.process()) {
            long start = System.nanoTime();
            try (TestProcess spice = SpiceJvm.start("snapshot", "--pid", Integer.toString(p.pid), "--image",
                    image.toString())) {
                assertThat(spice.waitFor()).as("undisturbed snapshot").isZero();
            }
            long elapsed = System.nanoTime() - start;
            assertRestoresTo(image, original.sum());
            return elapsed;
        }
    }

    /** Kills a snapshot after delay; returns which outcome it had, having checked it is a clean one. */
    private int killAfter(Path image, long delayNanos) {
        MemLayout.Started original = startOriginal();
        try (TestProcess p = original.process()) {
            try (TestProcess spice = SpiceJvm.start("snapshot", "--pid", Integer.toString(p.pid), "--image",
                    image.toString())) {
                sleepNanos(delayNanos);
                // close() kills it by PID and reaps it: the command may also have finished by now.
            }
            boolean written = Files.exists(image);
            if (written) {
                assertRestoresTo(image, original.sum());
            }
            boolean running = false;
            if (notStoppedAndUntraced(p)) {
                // A SIGKILL sent as the tracer died may still be on its way: then the output just ends.
                p.stdio.writeLine("sum");
                String answer = p.stdout().next(TIMEOUT);
                running = answer != null;
                if (running) {
                    assertThat(answer).as("the original's memory after a snapshot killed at %d ms",
                            delayNanos / 1_000_000).isEqualTo("sum " + original.sum());
                }
            }
            if (!running) {
                assertThat(p.waitFor()).as("a gone original was SIGKILLed").isEqualTo(128 + 9);
            }
            return !written ? 0 : running ? 1 : 2;
        }
    }

    /** False if the process is dead; else waits until it is neither stopped nor traced (it must not stay so). */
    private static boolean notStoppedAndUntraced(TestProcess p) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            char state;
            try {
                state = Files.readString(Path.of("/proc", Integer.toString(p.pid), "stat")).split("\\) ")[1].charAt(0);
            } catch (IOException e) {
                return false;
            }
            if (state == 'Z' || state == 'X') {
                return false;
            }
            if (state != 't' && state != 'T' && ProcStatus.read(p.pid).number("TracerPid") == 0) {
                return true;
            }
            sleepNanos(10_000_000); // the kernel detaches a dead tracer's tracees as it reaps it
        }
        throw new AssertionError("process " + p.pid + " is still stopped or traced after its tracer died");
    }

    private static void assertRestoresTo(Path image, String sum) {
        Image read = ImageReader.read(image);
        ImageReader.verifyData(read);
        try (Restored restored = Restored.restore(image)) {
            assertThat(MemLayout.sum(restored.stdio)).as("restored from " + image).isEqualTo(sum);
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
