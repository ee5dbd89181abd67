package dev.spice.tests;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * tests/src/test/c/memlayout.c: a memory layout generated from a seed. The program prints
 * "ready PID SUM" and answers each line on stdin with "sum SUM", the checksum of all its memory.
 */
final class MemLayout {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** The running program and the checksum it printed when ready. */
    record Started(TestProcess process, String sum) {}

    private MemLayout() {}

    /** Starts layout {@code seed} with a brk heap of {@code heapMib}; its mapped files go to {@code filesDir}. */
    static Started start(Path filesDir, long seed, long heapMib) {
        TestProcess p = TestProcess.start(List.of(TestPrograms.c("memlayout"), filesDir.toString(), Long.toString(seed),
                Long.toString(heapMib)), TestPrograms.environment());
        return new Started(p, p.stdout().awaitPrefix("ready ", TIMEOUT).split(" ")[2]);
    }

    /** Asks the program (the original, a restored copy, or one behind the command that restored it) for its checksum. */
    static String sum(Stdio stdio) {
        stdio.writeLine("sum");
        return stdio.stdout.awaitPrefix("sum ", TIMEOUT).substring(4);
    }
}
