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
 * measured restoring hot and cold. The first step deploys without a working set; the others share
 * one deployment whose image is laid out by its working set, restored with more prefetch each time.
 */
final class AblationBench {
    /** One configuration of the ablation, in the order they build on each other. */
    enum Step {
        LAZY("lazy", false, Prefetch.NONE, "pages mapped from the image in capture order, faulted in on touch"),
        LAYOUT("+layout", true, Prefetch.NONE, "working set recorded, image rewritten with it contiguous"),
        PREFETCH("+prefetch", true, Prefetch.READ, "working set read in large batches and populated (MADV_POPULATE_READ)"),
        PRE_COPY("+pre-copy", true, Prefetch.FULL, "written pages copied ahead (MADV_POPULATE_WRITE): no CoW faults");

        final String label;
        final boolean workingSet;
        final Prefetch prefetch;
        final String meaning;

        Step(String label, boolean workingSet, Prefetch prefetch, String meaning) {
            this.label = label;
            this.workingSet = workingSet;
            this.prefetch = prefetch;
            this.meaning = meaning;
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
                // Steps with the same deployment kind reuse it: the layout only changes with workingSet.
                boolean deploy = step == Step.LAZY || step == Step.LAYOUT;
                Path stepState = state.resolve(step.workingSet ? "working-set" : "lazy");
                try (Engine engine = Engine.open(EngineConfig.defaults(stepState).withWorkingSet(step.workingSet,
                        step.prefetch))) {
                    FunctionBench bench = new FunctionBench(engine, null, progress);
                    progress.printf("%s: ablation %s%n", f.name(), step.label);
                    FunctionInfo info = deploy ? engine.deploy(f.dir()) : engine.function(f.name()).orElseThrow();
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
