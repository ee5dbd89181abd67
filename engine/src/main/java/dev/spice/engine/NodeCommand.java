package dev.spice.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Node.js functions: Debian's node running the shim {@code runtimes/nodejs/spice_runtime.js}.
 *
 * <p>Node always runs threads besides its main one, whatever the flags (docs/nodejs.md): V8's
 * platform workers, the platform's delayed-task thread and the inspector's SIGUSR1 watcher, and
 * libuv's pool once something uses it. The flags keep them few and idle while the main thread
 * waits for a request, which is where the snapshot is taken.
 */
final class NodeCommand implements RuntimeCommand {
    static final String NODE = "/usr/bin/node";
    /** Node's own memory outside the JavaScript heap (code, buffers, libraries) at the smallest sizes. */
    private static final int OUTSIDE_HEAP_MB = 48;

    private final Path shim;

    NodeCommand(Path runtimesDir) {
        this.shim = ShimFiles.install("runtime/nodejs/spice_runtime.js", runtimesDir, "nodejs");
    }

    /**
     * <ul>
     * <li>{@code --expose-gc}: the shim's {@code prepare} runs full collections before the snapshot.
     * <li>{@code --single-threaded}: V8 posts no background tasks (concurrent marking, sweeping,
     * compilation run on the main thread), so its workers sit idle in a futex wait at the snapshot
     * and no heap work is half done in another thread.
     * <li>{@code --v8-pool-size=1}: one platform worker instead of four (0 would mean one per core,
     * a different process on every machine).
     * <li>{@code --max-old-space-size}: the heap limit inside the instance's memory limit, so a
     * growing heap is collected harder and ends as a JavaScript "heap out of memory" rather than
     * the cgroup's kill: three quarters of memory_mb, and at least {@value #OUTSIDE_HEAP_MB} MB left
     * for the rest of node.
     * <li>{@code --max-semi-space-size}: the young generation in proportion (memory_mb / 64, 1 to
     * 16 MB, V8's default being 16): its pages stay populated after a collection, and each is a
     * page of the image.
     * </ul>
     */
    @Override
    public List<String> argv(Deployment d) {
        int memory = d.manifest().memoryMb();
        return List.of(NODE, "--expose-gc", "--single-threaded", "--v8-pool-size=1",
                "--max-old-space-size=" + oldSpaceMb(memory), "--max-semi-space-size=" + semiSpaceMb(memory),
                shim.toString(), d.manifest().handler(), d.codeDir().toString());
    }

    static int oldSpaceMb(int memoryMb) {
        return Math.max(16, Math.min(memoryMb * 3 / 4, memoryMb - OUTSIDE_HEAP_MB));
    }

    static int semiSpaceMb(int memoryMb) {
        return Math.clamp(memoryMb / 64, 1, 16);
    }

    /**
     * One libuv pool thread instead of four: the pool starts on the first asynchronous file,
     * DNS, zlib or crypto call (the ES module loader makes some), and every thread of it would be
     * one more to snapshot. A fixed malloc mmap threshold: glibc raises its threshold each time a
     * large mmapped block is freed, after which Buffers of that size come from the heap and stay
     * there once garbage (JavaScript cannot call malloc_trim); fixed at glibc's initial 128 KiB,
     * each large Buffer is unmapped when V8 frees it (image_rotate_node's image: 41 to 30 MiB).
     */
    @Override
    public Map<String, String> environment(Deployment d) {
        return LambdaEnvironment.of(d, Map.of("UV_THREADPOOL_SIZE", "1", "MALLOC_MMAP_THRESHOLD_", "131072"));
    }
}
