package dev.spice.tests;

import java.time.Duration;
import java.util.List;

/** The obstacle test program (tests/src/test/c/obstacle.c): a ticking process with one chosen obstacle. */
final class Obstacle {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Obstacle() {}

    static TestProcess start(String kind) {
        TestProcess p = TestProcess.start(List.of(TestPrograms.c("obstacle"), kind), TestPrograms.environment());
        p.stdout().awaitPrefix("ready ", TIMEOUT);
        return p;
    }

    /** Fails unless the process keeps ticking (it was left running and unharmed). */
    static void expectStillTicking(TestProcess p) {
        p.stdout().awaitPrefix("tick ", TIMEOUT);
        p.stdout().awaitPrefix("tick ", TIMEOUT);
    }
}
