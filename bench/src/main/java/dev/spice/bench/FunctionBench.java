package dev.spice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.InvocationPath;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import dev.spice.restore.RestoreTimings;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Measures functions in every mode on one engine. Within a run the modes are taken in a rotated
 * order, so that drift (page cache, CPU frequency, host noise) hits all modes alike. The CRIU
 * modes run the same function's runtime under CRIU ({@link CriuModes}).
 */
final class FunctionBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Engine engine;
    private final CriuModes criu;
    private final VmModes vm;
    private final PrintStream progress;

    /** criu and vm may be null when no CRIU or VM mode is measured. */
    FunctionBench(Engine engine, CriuModes criu, VmModes vm, PrintStream progress) {
        this.engine = engine;
        this.criu = criu;
        this.vm = vm;
        this.progress = progress;
    }

    /** Deploys the function, then measures {@code runs} rounds of {@code modes}. */
    FunctionResult measure(BenchFunction f, List<Mode> modes, int runs, Consumer<Measurement> each) {
        progress.printf("%s: deploying%n", f.name());
        return measureDeployed(f, engine.deploy(f.dir()), modes, runs, each);
    }

    /** Measures {@code runs} rounds of {@code modes} of a function the engine has deployed. */
    FunctionResult measureDeployed(BenchFunction f, FunctionInfo info, List<Mode> modes, int runs,
            Consumer<Measurement> each) {
        if (info.snapshot() == null && modes.stream().anyMatch(m -> m == Mode.SPICE_HOT || m == Mode.SPICE_COLD)) {
            throw new IllegalStateException(f.name() + " has no snapshot: " + info.snapshotProblem());
        }
        invoke(f, InvokeOptions.DEFAULT);                        // the first restore: an idle instance for warm
        List<Measurement> all = new ArrayList<>();
        VmResult vmResult = null;
        VmModes.Prepared vmSnapshot = null;
        if (modes.stream().anyMatch(Mode::vm)) {
            progress.printf("%s: booting, warming up and snapshotting its VM (%s)%n", f.name(), vm.accelerator().note);
            try {
                vmSnapshot = vm.prepare(f);
                vmResult = new VmResult(null, vmSnapshot.imageBytes(), vmSnapshot.workingSetPages(),
                        vmSnapshot.qemuColdStartNanos());
            } catch (VmModes.Unavailable e) {
                progress.printf("%s: VM modes skipped: %s%n", f.name(), e.getMessage());
                vmResult = new VmResult(e.getMessage(), 0, 0, 0);
            }
        }
        try (CriuModes.Prepared dump = modes.stream().anyMatch(Mode::criu) ? criu.prepare(f) : null;
                VmModes.Prepared vmImage = vmSnapshot) {
            for (int run = 1; run <= runs; run++) {
                List<Mode> order = new ArrayList<>(modes);
                Collections.rotate(order, run - 1);
                for (Mode mode : order) {
                    if (mode.vm() && vmImage == null) {
                        continue;                            // skipped, with the reason in the report
                    }
                    Measurement m = mode.criu() ? dump.measure(mode, run)
                            : mode.vm() ? vmImage.measure(mode, run) : measureOnce(f, mode, run);
                    all.add(m);
                    each.accept(m);
                }
            }
            return new FunctionResult(f.name(), info, dump == null ? 0 : dump.imageBytes(), vmResult, all);
        }
    }

    private Measurement measureOnce(BenchFunction f, Mode mode, int run) {
        InvokeOptions options = switch (mode) {
            case WARM -> InvokeOptions.DEFAULT;
            case BOOT -> new InvokeOptions(true, true);
            case SPICE_HOT, SPICE_COLD -> new InvokeOptions(true);
            default -> throw new IllegalArgumentException(mode.label());
        };
        if (mode == Mode.WARM) {
            ensureIdleInstance(f);
        }
        if (mode.cold()) {
            engine.evictAllIdle();
            SystemProbes.dropCaches();
        }
        long diskBefore = SystemProbes.diskReadBytes();
        InvocationResult r = invoke(f, options);
        long diskRead = SystemProbes.diskReadBytes() - diskBefore;
        RestoreTimings t = r.timings().restore();
        boolean restored = t != null;
        return new Measurement(f.name(), mode, run, r.timings().totalNanos(), restored ? r.timings().startNanos() : 0,
                restored ? t.validation() : 0, restored ? t.processCreation() : 0, restored ? t.addressSpace() : 0,
                restored ? t.memory() : 0, restored ? t.state() + t.report() : 0,
                r.path() == InvocationPath.BOOTED ? r.timings().startNanos() : 0, r.timings().responseNanos(),
                SystemProbes.pss(r.instancePid()), mode.cold() ? diskRead : 0, r.timings().minorFaults(),
                r.timings().majorFaults(), verified(r), r.path().label());
    }

    /** A warm measurement needs an instance that already served a request. */
    private void ensureIdleInstance(BenchFunction f) {
        if (invoke(f, InvokeOptions.DEFAULT).path() != InvocationPath.WARM) {
            invoke(f, InvokeOptions.DEFAULT);
        }
    }

    private InvocationResult invoke(BenchFunction f, InvokeOptions options) {
        InvocationResult r = engine.invoke(f.name(), f.event(), options);
        if (r.functionError()) {
            throw new IllegalStateException(f.name() + " failed: " + new String(r.payload()));
        }
        return r;
    }

    static boolean verified(InvocationResult r) {
        try {
            JsonNode payload = JSON.readTree(r.payload());
            return payload.path("verified").asBoolean(false);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The measurements of one function, what its deployment produced, the size of its CRIU dump,
     * and its VM snapshot (null when no VM mode was measured).
     */
    record FunctionResult(String name, FunctionInfo info, long criuImageBytes, VmResult vm,
            List<Measurement> measurements) {}

    /**
     * The VM snapshot: why the function could not run in the guest (null if it could), the bytes
     * of the snapshot on disk (memory file blocks and device state), the recorded working set, and
     * how long QEMU took to start with a dropped page cache (not part of the VM modes' latency).
     */
    record VmResult(String skipped, long imageBytes, long workingSetPages, long qemuColdStartNanos) {}
}
