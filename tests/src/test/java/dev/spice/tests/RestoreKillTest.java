package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attached {@code spice restore} SIGKILLed at random points, from before the launcher starts to
 * long after the process runs (docs/faults.md): within seconds nothing it started is left (launcher,
 * namespace init, restored process), whichever step the kill interrupted. Seeded like {@link SnapshotKillTest}.
 */
class RestoreKillTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final Duration CLEANUP = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void killedAtRandomPointsLeavesNoProcessBehind() throws Exception {
        int kills = FaultPoints.kills();
        Random random = FaultPoints.random("RestoreKillTest");
        Path image = dir.resolve("restore.img");
        MemLayout.Started original = MemLayout.start(dir, 1, 1024);
        try (TestProcess p = original.process()) {
            Capturer.capture(p.pid, image, false);
        }

        long untilRunning;
        try (TestProcess spice = SpiceJvm.start("restore", "--image", image.toString(), "--timings")) {
            long start = System.nanoTime();
            spice.stdio.stderr.awaitPrefix("spice: restored PID", TIMEOUT);
            untilRunning = System.nanoTime() - start;
            assertThat(MemLayout.sum(spice.stdio)).as("the restored process answers through the CLI")
                    .isEqualTo(original.sum());
            assertThat(Session.living(spice.pid)).as("the session holds what the command started")
                    .anyMatch(p -> p.contains("(memlayout)"));
            spice.close();
            Session.awaitEmpty(spice.pid, CLEANUP);
        }
        for (int i = 0; i < kills; i++) {
            long delay = (long) (random.nextDouble() * 1.5 * untilRunning);
            try (TestProcess spice = SpiceJvm.start("restore", "--image", image.toString())) {
                Thread.sleep(Duration.ofNanos(delay));
                spice.close();
                Session.awaitEmpty(spice.pid, CLEANUP);
            }
        }
        System.out.printf("RestoreKillTest: %d kills within %d ms of the start, nothing left%n", kills,
                (long) (1.5 * untilRunning / 1_000_000));
    }
}
