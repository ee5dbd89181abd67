package dev.spice.engine;

import dev.spice.restore.Prefetch;
import java.nio.file.Path;
import java.time.Duration;

/**
 * @param stateDir     where deployments live (default ~/.spice, or $SPICE_STATE_DIR)
 * @param keepAlive    how long an idle instance is kept, unless its manifest says otherwise
 * @param queueTimeout how long an invocation waits for a free instance before it is throttled
 * @param keepDeployed keep the instance a deployment booted as the first warm instance (a
 *                     server does; a one-shot command does not)
 * @param zygotes      launchers kept ready for restores (0 for a one-shot command)
 * @param workingSet   record each deployment's working set and lay its image out by it
 * @param prefetch     what a restore does with the working set (FULL: read, populate, pre-copy)
 * @param sandbox      run every instance in its sandbox (docs/sandbox.md); off only to measure what it costs
 * @param pinFiles     keep each deployed snapshot's mapped files open and hand them to its restores
 *                     (see {@link dev.spice.restore.PinnedFiles}); off only to measure what it buys
 */
public record EngineConfig(Path stateDir, Duration keepAlive, Duration queueTimeout, boolean keepDeployed,
        int zygotes, boolean workingSet, Prefetch prefetch, boolean sandbox, boolean pinFiles) {

    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(10);

    public static Path defaultStateDir() {
        String env = System.getenv("SPICE_STATE_DIR");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".spice");
    }

    public static EngineConfig defaults(Path stateDir) {
        return new EngineConfig(stateDir, DEFAULT_KEEP_ALIVE, Duration.ofSeconds(30), false, 2, true, Prefetch.FULL,
                true,
                true);
    }

    public EngineConfig withKeepDeployed(boolean keep) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keep, zygotes, workingSet, prefetch, sandbox,
                pinFiles);
    }

    public EngineConfig withKeepAlive(Duration keep) {
        return new EngineConfig(stateDir, keep, queueTimeout, keepDeployed, zygotes, workingSet, prefetch, sandbox,
                pinFiles);
    }

    public EngineConfig withZygotes(int count) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keepDeployed, count, workingSet, prefetch,
                sandbox, pinFiles);
    }

    /** Without the sandbox: for measuring what it costs, never for serving strangers' code. */
    public EngineConfig withSandbox(boolean on) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keepDeployed, zygotes, workingSet, prefetch, on,
                pinFiles);
    }

    /** For measurements of each optimization alone (docs/ablation.md). */
    public EngineConfig withWorkingSet(boolean record, Prefetch mode) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keepDeployed, zygotes, record, mode, sandbox,
                pinFiles);
    }

    /** Without pinned files: restores look every mapped file up by path (docs/ablation.md). */
    public EngineConfig withPinnedFiles(boolean on) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keepDeployed, zygotes, workingSet, prefetch, sandbox,
                on);
    }
}
