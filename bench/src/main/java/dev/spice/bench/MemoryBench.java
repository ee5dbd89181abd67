package dev.spice.bench;

import dev.spice.bench.SystemProbes.MemoryUse;
import dev.spice.engine.Engine;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Memory elasticity: N instances of one function started at once, from the snapshot or booted,
 * each measured after its first invocation while all N are alive. Restored instances map the
 * image's clean pages and the original files through the page cache, so they share them.
 */
final class MemoryBench {
    private final Engine engine;
    private final PrintStream progress;

    MemoryBench(Engine engine, PrintStream progress) {
        this.engine = engine;
        this.progress = progress;
    }

    /** For each count, N restored and then N booted instances of a deployed function. */
    List<MemoryResult> measure(BenchFunction f, List<Integer> counts) {
        List<MemoryResult> results = new ArrayList<>();
        for (int n : counts) {
            for (boolean boot : new boolean[] {false, true}) {
                MemoryResult r = measureOnce(f, n, boot);
                progress.printf("%s: %2d %s instances: %.1f MiB PSS each, %.1f MiB in all%n", f.name(), n,
                        r.path(), r.medianPss() / 1048576.0, r.totalPss() / 1048576.0);
                results.add(r);
            }
        }
        return results;
    }

    private MemoryResult measureOnce(BenchFunction f, int n, boolean boot) {
        engine.evictAllIdle();
        InvokeOptions options = new InvokeOptions(true, boot);
        List<InvocationResult> served = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(n)) {
            List<Future<InvocationResult>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(clients.submit(() -> engine.invoke(f.name(), f.event(), options)));
            }
            for (Future<InvocationResult> call : calls) {
                served.add(call.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(f.name() + ": " + e.getCause().getMessage(), e.getCause());
        }
        // All N are idle now and alive until evicted: measure them side by side.
        List<MemoryUse> uses = served.stream().map(r -> SystemProbes.memory(r.instancePid())).toList();
        boolean verified = served.stream().allMatch(FunctionBench::verified)
                && served.stream().mapToInt(InvocationResult::instancePid).distinct().count() == n;
        engine.evictAllIdle();
        return new MemoryResult(f.name(), boot ? "booted" : "restored", n, uses, verified);
    }

    /** N instances side by side; verified if all answered correctly from N distinct processes. */
    record MemoryResult(String function, String path, int instances, List<MemoryUse> uses, boolean verified) {
        long totalPss() {
            return uses.stream().mapToLong(MemoryUse::pss).sum();
        }

        long medianPss() {
            return Stats.median(uses.stream().mapToLong(MemoryUse::pss).toArray());
        }

        long medianRss() {
            return Stats.median(uses.stream().mapToLong(MemoryUse::rss).toArray());
        }

        long medianPrivate() {
            return Stats.median(uses.stream().mapToLong(MemoryUse::privateBytes).toArray());
        }
    }
}
