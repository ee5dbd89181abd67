package dev.spice.bench;

import dev.spice.bench.FunctionBench.FunctionResult;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import dev.spice.engine.FunctionInfo;
import dev.spice.restore.Prefetch;
import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The optimizations one at a time (docs/ablation.md): each step adds one to the previous and is
 * measured restoring hot and cold. The first step deploys without a working set; the next share
 * one deployment whose image is laid out by its working set, restored with more prefetch each
 * time, then with the engine's pinned files. The last takes the sandbox away, to show what isolation costs.
 */
final class AblationBench {
    /** One configuration of the ablation, in the order they build on each other. */
    enum Step {
        LAZY("lazy", false, Prefetch.NONE, false, true, "pages mapped from the image in capture order, faulted in on touch"),
        LAYOUT("+layout", true, Prefetch.NONE, false, true, "working set recorded, image rewritten with it contiguous"),
        PREFETCH("+prefetch", true, Prefetch.READ, false, true,
                "working set read in large batches and populated (MADV_POPULATE_READ)"),
        PRE_COPY("+pre-copy", true, Prefetch.FULL, false, true,
                "written pages copied ahead (MADV_POPULATE_WRITE): no CoW faults"),
        PINNED("+pinned", true, Prefetch.FULL, true, true,
                "the mapped files kept open by the engine and handed to the restorer: no path lookups"),
        UNSANDBOXED("-sandbox", true, Prefetch.FULL, true, false,
                "+pinned without the sandbox (user, network and mount namespaces): what isolation costs");

        final String label;
        final boolean workingSet;
        final Prefetch prefetch;
        final boolean pinned;
        final boolean sandbox;
        final String meaning;

        Step(String label, boolean workingSet, Prefetch prefetch, boolean pinned, boolean sandbox, String meaning) {
            this.label = label;
            this.workingSet = workingSet;
            this.prefetch = prefetch;
            this.pinned = pinned;
            this.sandbox = sandbox;
            this.meaning = meaning;
        }

        /** Steps that share a state directory share its deployment; the first of them deploys. */
        String stateName() {
            return !sandbox ? "unsandboxed" : workingSet ? "working-set" : "lazy";
        }

        boolean deploys() {
            return this == LAZY || this == LAYOUT || this == UNSANDBOXED;
        }
    }

    static final List<Mode> MODES = List.of(Mode.SPICE_HOT, Mode.SPICE_COLD);

    private final Path dir;
    private final PrintStream progress;

    /** Deployments go under {@code dir}, one state directory per function, removed afterwards. */
    AblationBench(Path dir, PrintStream progress) {
        this.dir = dir;
        this.progress = progress;
    }

    List<StepResult> measure(BenchFunction f, int runs, Consumer<Measurement> each) {
        List<StepResult> results = new ArrayList<>();
        Path state = dir.resolve(f.name());
        try {
            for (Step step : Step.values()) {
                Path stepState = state.resolve(step.stateName());
                try (Engine engine = Engine.open(EngineConfig.defaults(stepState).withWorkingSet(step.workingSet,
                        step.prefetch).withSandbox(step.sandbox).withPinnedFiles(step.pinned))) {
                    FunctionBench bench = new FunctionBench(engine, null, null, progress);
                    progress.printf("%s: ablation %s%n", f.name(), step.label);
                    FunctionInfo info = step.deploys() ? engine.deploy(f.dir()) : engine.function(f.name()).orElseThrow();
                    FunctionResult r = bench.measureDeployed(f, info, MODES, runs, each);
                    results.add(new StepResult(step, r));
                }
            }
            return results;
        } finally {
            try {
                FileTrees.delete(state);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + state, e);
            }
        }
    }

    /** One step's measurements of one function. */
    record StepResult(Step step, FunctionResult result) {}
}
