package dev.spice.cli;

import dev.spice.engine.FunctionInfo;
import java.io.PrintWriter;
import java.util.List;

/** Functions for people: one line each. */
final class FunctionTable {
    private FunctionTable() {}

    static void print(List<FunctionInfo> functions, PrintWriter out) {
        if (functions.isEmpty()) {
            out.println("no functions deployed");
            return;
        }
        out.printf("%-24s %-8s %-24s %7s %8s  %s%n", "NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "SNAPSHOT");
        for (FunctionInfo f : functions) {
            out.printf("%-24s %-8s %-24s %5d MB %6d s  %s%n", f.name(), f.runtime(), f.handler(), f.memoryMb(),
                    f.timeoutS(), snapshot(f));
        }
    }

    static String describe(FunctionInfo f) {
        return "deployed " + f.name() + " (version " + f.version() + "): snapshot " + snapshot(f);
    }

    private static String snapshot(FunctionInfo f) {
        return f.snapshot() == null ? "none (" + f.snapshotProblem() + ")"
                : String.format("%s, %d pages, taken in %d ms, working set %d pages (%d written)",
                        Sizes.human(f.snapshot().imageBytes()), f.snapshot().storedPages(),
                        f.snapshot().captureTime().toMillis(), f.snapshot().workingSetPages(),
                        f.snapshot().workingSetWrittenPages());
    }
}
